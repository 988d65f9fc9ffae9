using Messaging.Host.Cli;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Messaging.Host.Tests.Cli;

/// <summary>How the <c>engine</c> command line is read: what runs the engine, exit codes, one-line errors.</summary>
public sealed class CommandLineTests
{
    private static async Task<(int Code, string Output, string Error)> RunAsync(Func<ServiceProvider> services, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await EngineCommands.InvokeAsync(args, services, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        RunAsync(() => throw new InvalidOperationException("the test built no services"), args);

    [Fact]
    public void Only_no_arguments_or_run_runs_the_engine_and_run_help_is_help()
    {
        Assert.Equal(EngineCommandLine.Invocation.Engine, EngineCommandLine.Of([]).Kind);
        var run = EngineCommandLine.Of(["run", "--urls", "http://127.0.0.1:0"]);
        Assert.Equal(EngineCommandLine.Invocation.Engine, run.Kind);
        Assert.Equal(["--urls", "http://127.0.0.1:0"], run.HostArgs);
        Assert.Equal(EngineCommandLine.Invocation.TestHost, EngineCommandLine.Of(["--environment=Development", "--contentRoot=/x"]).Kind);

        Assert.Equal(EngineCommandLine.Invocation.Command, EngineCommandLine.Of(["run", "--help"]).Kind);
        Assert.Equal(EngineCommandLine.Invocation.Command, EngineCommandLine.Of(["templats", "list"]).Kind);
        Assert.Equal(EngineCommandLine.Invocation.Command, EngineCommandLine.Of(["--urls", "http://127.0.0.1:0"]).Kind);
    }

    [Fact]
    public async Task Run_help_prints_the_usage_of_engine_run()
    {
        var (code, output, _) = await RunAsync("run", "--help");

        Assert.Equal(EngineCommands.Done, code);
        Assert.Contains("engine run [options]", output);
        Assert.DoesNotContain("Engine.Host", output);
    }

    [Fact]
    public async Task A_mistyped_command_exits_2_with_one_line_naming_the_command_meant()
    {
        var (code, output, error) = await RunAsync("templats", "list");

        Assert.Equal((EngineCommands.BadInput, ""), (code, output));
        Assert.Equal(
            "engine: Unrecognized command or argument 'templats'. Unrecognized command or argument 'list'. Did you mean 'engine templates'? 'engine --help' shows the usage.\n",
            error.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("recipient", "suppress", "email", "ana@example.com")] // a required option missing (--reason)
    [InlineData("recipient", "show")] // required arguments missing
    [InlineData("dlq", "peak")] // an unknown subcommand
    [InlineData("init", "--bogus")] // an unrecognized argument
    [InlineData("send", "--to", "a@example.com", "--category")] // an option without its value
    [InlineData("--verbose")] // options and no command
    public async Task A_command_line_that_does_not_parse_exits_2_with_one_line(params string[] args)
    {
        var (code, _, error) = await RunAsync(args);

        Assert.Equal(EngineCommands.BadInput, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("engine", error);
    }

    [Theory]
    [InlineData("--channel", "emial")]
    [InlineData("--category", "marketting")]
    public async Task Send_refuses_an_option_value_the_request_reader_would_refuse(string option, string value)
    {
        var (code, _, error) = await RunAsync("send", "--to", "ana@example.com", "--subject", "Hi", "--text", "Hello", option, value);

        Assert.Equal(EngineCommands.BadInput, code);
        Assert.Contains($"$.{option[2..]}: is \"{value}\"", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task An_unexpected_error_is_one_line_and_verbose_shows_its_stack_trace()
    {
        static ServiceProvider NoRegion() => throw new InvalidOperationException("No AWS region is configured.\nSecond line of detail.");

        var plain = await RunAsync(NoRegion, "dlq", "peek");
        var verbose = await RunAsync(NoRegion, "dlq", "peek", "--verbose");

        Assert.Equal(EngineCommands.Failed, plain.Code);
        Assert.Equal("engine dlq peek: No AWS region is configured. (--verbose shows the details)\n", plain.Error.ReplaceLineEndings("\n"));
        Assert.Equal(EngineCommands.Failed, verbose.Code);
        Assert.Contains("Second line of detail.", verbose.Error);
        Assert.Contains("   at ", verbose.Error);
    }

    [Fact]
    public async Task A_one_shot_command_logs_only_errors_unless_verbose()
    {
        await using var quiet = EngineServices.Build(verbose: false);
        await using var verbose = EngineServices.Build(verbose: true);

        var guard = quiet.GetRequiredService<ILoggerFactory>().CreateLogger("Messaging.Engine.Reputation.ReputationGuard");
        var told = verbose.GetRequiredService<ILoggerFactory>().CreateLogger("Messaging.Engine.Reputation.ReputationGuard");

        Assert.Equal((false, true), (guard.IsEnabled(LogLevel.Warning), guard.IsEnabled(LogLevel.Error)));
        Assert.True(told.IsEnabled(LogLevel.Information));
    }

    [Fact]
    public void A_table_keeps_a_multi_line_reason_on_its_row()
    {
        var output = new StringWriter();

        CliTable.Write(output, ["ID", "ERROR"], [["m-1", "first line\nsecond line"], ["m-2", "ok"]]);

        Assert.Equal("ID   ERROR\nm-1  first line ⏎ second line\nm-2  ok\n", output.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Local_settings_are_read_in_shell_syntax_and_the_environment_wins()
    {
        var name = $"ENGINE_TEST_{Guid.NewGuid():N}";
        var file = Path.Combine(Path.GetTempPath(), $"{name}.env");
        File.WriteAllLines(file, ["# written by run-local.sh", $"export {name}_A='a b'", $"{name}_B=\"x\"", $"{name}_C=from-file", ""]);
        Environment.SetEnvironmentVariable($"{name}_C", "from-environment");
        try
        {
            LocalSettings.Apply(file);

            Assert.Equal(("a b", "x", "from-environment"), (
                Environment.GetEnvironmentVariable($"{name}_A"), Environment.GetEnvironmentVariable($"{name}_B"), Environment.GetEnvironmentVariable($"{name}_C")));
        }
        finally
        {
            File.Delete(file);
            foreach (var suffix in new[] { "_A", "_B", "_C" })
            {
                Environment.SetEnvironmentVariable(name + suffix, null);
            }
        }
    }
}
