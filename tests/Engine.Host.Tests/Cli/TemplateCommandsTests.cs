using Messaging.Engine;
using Messaging.Engine.Templates;
using Messaging.Host.Cli;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Cli;

/// <summary><c>engine templates …</c> on a fresh SQLite database, with the repository's sample templates.</summary>
public sealed class TemplateCommandsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-cli-templates-{Guid.NewGuid():N}");
    private StringWriter _output = new();
    private StringWriter _error = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private ServiceProvider Services()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = "us-east-1",
            ["Engine:Persistence:SqlitePath"] = Path.Combine(_directory, "engine.db"),
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMessagingEngine(configuration);
        return services.BuildServiceProvider();
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        _output = new StringWriter();
        _error = new StringWriter();
        var code = await EngineCommands.InvokeAsync(args, Services, _output, _error);
        return (code, _output.ToString(), _error.ToString());
    }

    private async Task<IReadOnlyList<TemplateSummary>> StoredAsync()
    {
        await using var services = Services();
        return await services.GetRequiredService<ITemplateStore>().ListAsync(default);
    }

    private static string Samples => RepositoryLayout.PathOf("config", "templates");

    [Fact]
    public async Task Push_stores_the_sample_templates_as_version_one_and_a_second_push_changes_nothing()
    {
        var first = await RunAsync("templates", "push", Samples);
        var second = await RunAsync("templates", "push", Samples);

        Assert.Equal((EngineCommands.Done, ""), (first.Code, first.Error));
        Assert.Contains("template  order-shipped  v1       new, current", first.Output);
        Assert.Contains("partial   footer         v1       new, current", first.Output);
        Assert.Equal(EngineCommands.Done, second.Code);
        Assert.DoesNotContain("new", second.Output);
        Assert.Equal(["footer", "header", "login-code", "order-shipped", "welcome"], (await StoredAsync()).Select(t => t.Name).Order());
    }

    [Fact]
    public async Task Push_with_problems_in_several_files_reports_them_all_and_stores_nothing()
    {
        var folder = Path.Combine(_directory, "templates");
        CopyDirectory(Samples, folder);
        File.WriteAllText(Path.Combine(folder, "welcome", "template.txt"), "Welcome, {{ nickname | default: name }}!\n{% if name %}\n");
        File.WriteAllText(Path.Combine(folder, "login-code", "metadata.json"), """{ "channel": "sms", "variables": { "code": {}, "minutes": {}, "unused": {} }, "sampleData": { "code": "1", "minutes": 2, "unused": 3 } }""");

        var (code, output, error) = await RunAsync("templates", "push", folder);

        Assert.Equal(EngineCommands.BadInput, code);
        Assert.Equal("", output);
        Assert.Contains("welcome/template.txt:2: Error while parsing if statement: The `endif statement` was not found", error);
        Assert.Contains("login-code/metadata.json:1: variable 'unused' is declared but the template does not use it", error);
        Assert.Contains("2 problems in 2 file(s); nothing was pushed.", error);
        Assert.Empty(await StoredAsync());
    }

    [Fact]
    public async Task Preview_renders_subject_html_and_derived_text_from_the_store_or_a_folder_with_given_data()
    {
        await RunAsync("templates", "push", Samples);
        var data = Path.Combine(_directory, "data.json");
        File.WriteAllText(data, """
            { "name": "Zé", "orderId": "B-9", "shippedAt": "2026-07-01T08:00:00Z", "currency": "EUR", "total": 5,
              "items": [ { "title": "Cap", "quantity": 1, "price": 5 } ] }
            """);

        var stored = await RunAsync("templates", "preview", "order-shipped", "--data", data);
        var fromFolder = await RunAsync("templates", "preview", "login-code", "--dir", Samples);
        var missing = await RunAsync("templates", "preview", "order-shipped", "--data", WriteJson("""{ "name": "Zé" }"""));

        Assert.Equal(EngineCommands.Done, stored.Code);
        Assert.Contains("Template: order-shipped@1", stored.Output);
        Assert.Contains("Subject: Order B-9 is on its way", stored.Output);
        Assert.Contains("<p>Hi Zé,</p>", stored.Output);
        // Lisbon is UTC+1 in July; the template's culture is en-GB. (In the HTML, the spaces of a value are escaped too.)
        Assert.Contains("left our warehouse on Wednesday, 1 July at 09:00", stored.Output);
        Assert.Contains("----- text (derived from the HTML) -----", stored.Output);
        Assert.Contains("- 1 × Cap — €5.00", stored.Output);
        Assert.DoesNotContain("Track your parcel", stored.Output);
        Assert.Equal(EngineCommands.Done, fromFolder.Code);
        Assert.Contains("Your Example Shop code is 482913. It expires in 10 minutes.", fromFolder.Output);
        Assert.Contains("1 SMS segment(s), Gsm7", fromFolder.Output);
        Assert.Equal(EngineCommands.BadInput, missing.Code);
        Assert.Contains("needs 'orderId', 'shippedAt', 'items', 'total', 'currency' in data", missing.Error);
    }

    [Fact]
    public async Task Preview_takes_data_inline_or_from_a_pretty_printed_file_after_an_at_sign_and_its_json_shows_markup_as_is()
    {
        await RunAsync("templates", "push", Samples);
        var file = WriteJson("{\n  \"name\": \"Ana Lima\"\n}\n");

        var fromFile = await RunAsync("templates", "preview", "welcome", "--data", $"@{file}");
        var inline = await RunAsync("templates", "preview", "welcome", "--data", """{"name":"Bo"}""", "--json");

        Assert.Equal(EngineCommands.Done, fromFile.Code);
        Assert.Contains("Welcome, Ana Lima!", fromFile.Output);
        Assert.Equal(EngineCommands.Done, inline.Code);
        Assert.Contains("<p>Welcome, Bo!</p>", inline.Output);
        Assert.DoesNotContain("\\u003C", inline.Output);
    }

    [Fact]
    public async Task Make_current_rolls_back_and_versions_shows_which_is_current()
    {
        var folder = Path.Combine(_directory, "templates");
        CopyDirectory(Samples, folder);
        await RunAsync("templates", "push", folder, "--source", "commit-a");
        File.WriteAllText(Path.Combine(folder, "_partials", "footer.txt"), "--\nExample Shop, now in Porto too\n");
        await RunAsync("templates", "push", folder, "--source", "commit-b");

        var rollback = await RunAsync("templates", "make-current", "footer", "1", "--partial");
        var versions = await RunAsync("templates", "versions", "footer", "--partial");
        var noSuch = await RunAsync("templates", "make-current", "footer", "9", "--partial");

        Assert.Equal((EngineCommands.Done, "partial footer is now at v1.\n"), (rollback.Code, rollback.Output.ReplaceLineEndings("\n")));
        var lines = versions.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("v2", lines[1]);
        Assert.EndsWith("commit-b", lines[1].TrimEnd());
        Assert.Matches(@"^v1\s+\*", lines[2]);
        Assert.Equal(EngineCommands.BadInput, noSuch.Code);
        Assert.Contains("Partial 'footer' has no version 9; it has versions 1, 2.", noSuch.Error);
        var preview = await RunAsync("templates", "preview", "welcome");
        Assert.DoesNotContain("Porto", preview.Output);
    }

    private string WriteJson(string json)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        Directory.CreateDirectory(_directory);
        File.WriteAllText(path, json);
        return path;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
