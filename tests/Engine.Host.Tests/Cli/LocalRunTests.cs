using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Messaging.Testing;

namespace Messaging.Host.Tests.Cli;

/// <summary>
/// The path a newcomer walks: <c>scripts/run-local.sh</c>, then every command of the README's table typed in a second
/// terminal that has nothing exported, then Ctrl-C. The second terminal is a folder with the clone's <c>scripts</c>,
/// <c>src</c> and <c>config</c> linked in and <c>data/</c> of its own, where this run-local.sh wrote its settings, so the
/// test neither reads nor overwrites a developer's own <c>data/</c>.
/// </summary>
public sealed partial class LocalRunTests : IAsyncLifetime
{
    private readonly string _terminal = Path.Combine(Path.GetTempPath(), $"messaging-local-run-{Guid.NewGuid():N}");
    private readonly StringBuilder _runOutput = new();
    private Process? _run;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_terminal, "data"));
        foreach (var linked in new[] { "scripts", "src", "config" })
        {
            File.CreateSymbolicLink(Path.Combine(_terminal, linked), RepositoryLayout.PathOf(linked));
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_run is { HasExited: false })
        {
            await StopAsync(_run);
            if (!_run.HasExited)
            {
                _run.Kill(entireProcessTree: true);
            }
        }

        _run?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_terminal, recursive: true);
    }

    [Fact]
    public async Task Every_command_of_the_readme_runs_in_a_second_terminal_after_run_local_and_ctrl_c_stops_the_engine_first()
    {
        var ports = new Dictionary<string, int> { ["SQS_PORT"] = FreePort(), ["SES_PORT"] = FreePort(), ["SMS_PORT"] = FreePort(), ["ENGINE_PORT"] = FreePort() };
        _run = StartRunLocal(ports);
        // A first run builds the host and the SMS peer in Release: minutes on a busy machine.
        await AwaitCondition.UntilAsync(() => Task.FromResult(RunOutput.Contains("Press Ctrl-C to stop.", StringComparison.Ordinal) || _run.HasExited),
            TimeSpan.FromMinutes(10), "run-local.sh is up");
        Assert.False(_run.HasExited, RunOutput);
        Assert.Contains($"AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2=http://127.0.0.1:{ports["SMS_PORT"]}", RunOutput);

        var commands = ReadmeCommands();
        Assert.True(commands.Count >= 20, $"the README's table lists {commands.Count} commands");
        foreach (var command in commands)
        {
            var (code, output) = await InSecondTerminalAsync(command);
            Assert.True(code == 0, $"'{command}' exited {code}:\n{output}");
        }

        using var http = new HttpClient();
        using var store = await http.GetFromJsonAsync<JsonDocument>($"http://127.0.0.1:{ports["SMS_PORT"]}/store");
        var texts = store!.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetProperty("body").GetString()).ToList();
        Assert.Contains("Your code is 1234", texts);
        Assert.Contains(texts, t => t!.Contains("482913", StringComparison.Ordinal));

        var banner = RunOutput.Length;
        await StopAsync(_run);
        Assert.True(_run.HasExited, "run-local.sh stops on SIGTERM");
        var afterStop = RunOutput[banner..];
        Assert.Contains("Application is shutting down", afterStop);
        Assert.DoesNotContain("outcome unknown", afterStop);
        Assert.DoesNotContain("ConnectionLost", afterStop);
        foreach (var port in ports.Values)
        {
            Assert.False(Listening(port), $"port {port} is closed after the stop");
        }
    }

    [Fact]
    public async Task A_port_in_use_is_named_with_the_variable_that_changes_it()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        _run = StartRunLocal(new Dictionary<string, int> { ["SQS_PORT"] = FreePort(), ["SES_PORT"] = FreePort(), ["SMS_PORT"] = port, ["ENGINE_PORT"] = FreePort() });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await _run.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, _run.ExitCode);
        Assert.Contains($"Port {port} is already in use", RunOutput);
        Assert.Contains("SMS_PORT=", RunOutput);
    }

    private string RunOutput
    {
        get
        {
            lock (_runOutput)
            {
                return _runOutput.ToString();
            }
        }
    }

    private Process StartRunLocal(Dictionary<string, int> ports)
    {
        var start = new ProcessStartInfo("bash", [RepositoryLayout.PathOf("scripts", "run-local.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, port) in ports)
        {
            start.Environment[name] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        start.Environment["ENGINE_DATA_DIR"] = Path.Combine(_terminal, "data");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>A command as typed in a new terminal: bash in the terminal's folder, with nothing exported but PATH and HOME.</summary>
    private async Task<(int Code, string Output)> InSecondTerminalAsync(string command)
    {
        var start = new ProcessStartInfo("bash", ["-c", command])
        {
            WorkingDirectory = _terminal,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Clear();
        foreach (var name in new[] { "PATH", "HOME", "DOTNET_ROOT" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>The first column of the README's table of <c>engine</c> commands, except the engine itself (it would not return).</summary>
    private static List<string> ReadmeCommands()
    {
        var readme = File.ReadAllText(RepositoryLayout.PathOf("README.md"));
        var section = readme[readme.IndexOf("## The `engine` command", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        return TableCommand().Matches(section).Select(m => m.Groups["command"].Value.Replace("\\|", "|", StringComparison.Ordinal)).ToList();
    }

    private static async Task StopAsync(Process process)
    {
        using (var signal = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Still running: the caller's assertion (or Dispose's kill) deals with it.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_runOutput)
            {
                _runOutput.AppendLine(line);
            }
        }
    }

    [GeneratedRegex(@"^\| `(?<command>scripts/engine(?! run(?! --help))[^`]*)`", RegexOptions.Multiline)]
    private static partial Regex TableCommand();
}
