using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Postgres;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Messaging.Engine.Templates;
using Messaging.Engine.Tests.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Engine.Tests.Templates;

/// <summary>What the template store must do on every database the engine supports.</summary>
public abstract class TemplateStoreTests : IAsyncLifetime
{
    private readonly List<SqlJournal> _opened = [];

    protected ManualTimeProvider Time { get; } = new();

    protected abstract Task CreateStorageAsync();

    private protected abstract SqlDialect NewDialect();

    private protected abstract SqlDialect UnreachableDialect();

    public Task InitializeAsync() => CreateStorageAsync();

    public async Task DisposeAsync()
    {
        foreach (var journal in _opened)
        {
            await journal.DisposeAsync();
        }
    }

    /// <summary>A store over this test's database; a second one is a second node.</summary>
    private async Task<ITemplateStore> OpenAsync()
    {
        var journal = await SqlJournal.OpenAsync(NewDialect(), Time, NullLogger.Instance, default);
        _opened.Add(journal);
        return new SqlTemplateStore(journal, Time);
    }

    private static TemplateDraft Email(string name, string subject) =>
        new(TemplateKind.Template, name, new TemplateDefinition(Channel.Email, subject, "<p>{{ name }}</p>",
            Variables: [new TemplateVariable("name")]));

    private static TemplateDraft Partial(string name, string html) =>
        new(TemplateKind.Partial, name, new TemplateDefinition(Html: html));

    [Fact]
    public async Task A_changed_push_adds_the_next_version_and_makes_it_current_and_an_identical_push_changes_nothing()
    {
        var store = await OpenAsync();
        var start = await store.RevisionAsync(default);

        var first = await store.PushAsync([Email("welcome", "Hi"), Partial("footer", "<p>f1</p>")], "commit-1", default);
        var again = await store.PushAsync([Email("welcome", "Hi"), Partial("footer", "<p>f1</p>")], "commit-1b", default);
        var revisionAfterSame = await store.RevisionAsync(default);
        var second = await store.PushAsync([Email("welcome", "Hello"), Partial("footer", "<p>f1</p>")], "commit-2", default);

        Assert.Equal([new PushedTemplate(TemplateKind.Template, "welcome", 1, true), new PushedTemplate(TemplateKind.Partial, "footer", 1, true)], first);
        Assert.All(again, p => Assert.False(p.Changed));
        Assert.Equal(start + 1, revisionAfterSame);
        Assert.Equal([new PushedTemplate(TemplateKind.Template, "welcome", 2, true), new PushedTemplate(TemplateKind.Partial, "footer", 1, false)], second);
        Assert.True(await store.RevisionAsync(default) > revisionAfterSame);

        var current = await store.LoadCurrentAsync(default);
        Assert.Equal("Hello", Assert.Single(current.Current, t => t.Name == "welcome").Definition.Subject);
        Assert.Equal(2, current.Current.Single(t => t.Name == "welcome").Version);
        var versions = await store.VersionsAsync(TemplateKind.Template, "welcome", default);
        Assert.Equal([2, 1], versions.Select(v => v.Version));
        Assert.Equal([true, false], versions.Select(v => v.Current));
        Assert.Equal(["commit-2", "commit-1"], versions.Select(v => v.Source));
    }

    [Fact]
    public async Task Rolling_back_makes_an_older_version_current_without_changing_any_stored_version()
    {
        var store = await OpenAsync();
        await store.PushAsync([Email("receipt", "v1 subject")], null, default);
        await store.PushAsync([Email("receipt", "v2 subject")], null, default);
        var before = await store.RevisionAsync(default);

        await store.MakeCurrentAsync(TemplateKind.Template, "receipt", 1, default);

        Assert.True(await store.RevisionAsync(default) > before);
        Assert.Equal("v1 subject", (await store.GetAsync(TemplateKind.Template, "receipt", null, default))!.Definition.Subject);
        Assert.Equal("v2 subject", (await store.GetAsync(TemplateKind.Template, "receipt", 2, default))!.Definition.Subject);
        var listed = Assert.Single(await store.ListAsync(default));
        Assert.Equal((1, 2, Channel.Email), (listed.CurrentVersion, listed.LatestVersion, listed.Channel!.Value));

        // Pushing v2's content again is a change from the current v1: it becomes v3, and v2 stays as it was.
        var pushed = Assert.Single(await store.PushAsync([Email("receipt", "v2 subject")], null, default));
        Assert.Equal(3, pushed.Version);
        Assert.Equal(3, (await store.VersionsAsync(TemplateKind.Template, "receipt", default)).Count);
    }

    [Fact]
    public async Task Making_a_missing_version_current_says_which_versions_exist()
    {
        var store = await OpenAsync();
        await store.PushAsync([Email("receipt", "one")], null, default);
        await store.PushAsync([Email("receipt", "two")], null, default);

        var missingVersion = await Assert.ThrowsAsync<TemplateNotFoundException>(() => store.MakeCurrentAsync(TemplateKind.Template, "receipt", 7, default));
        var missingName = await Assert.ThrowsAsync<TemplateNotFoundException>(() => store.MakeCurrentAsync(TemplateKind.Template, "nope", 1, default));
        // A partial of the same name is a different thing.
        var wrongKind = await Assert.ThrowsAsync<TemplateNotFoundException>(() => store.MakeCurrentAsync(TemplateKind.Partial, "receipt", 1, default));

        Assert.Equal("Template 'receipt' has no version 7; it has versions 1, 2.", missingVersion.Message);
        Assert.Equal("There is no template 'nope'.", missingName.Message);
        Assert.Equal("There is no partial 'receipt'.", wrongKind.Message);
        Assert.Equal(2, (await store.GetAsync(TemplateKind.Template, "receipt", null, default))!.Version);
    }

    [Fact]
    public async Task A_push_with_an_invalid_name_stores_nothing_at_all()
    {
        var store = await OpenAsync();
        var before = await store.RevisionAsync(default);

        await Assert.ThrowsAsync<ArgumentException>(() => store.PushAsync([Email("fine", "x"), Email("not/fine", "y")], null, default));

        Assert.Empty(await store.ListAsync(default));
        Assert.Equal(before, await store.RevisionAsync(default));
    }

    [Fact]
    public async Task Two_nodes_pushing_the_same_template_at_once_get_distinct_consecutive_versions()
    {
        var nodes = new[] { await OpenAsync(), await OpenAsync() };

        var pushes = Enumerable.Range(1, 10).Select(i => nodes[i % 2].PushAsync([Email("race", $"subject {i}")], $"node {i % 2}", default));
        var results = await Task.WhenAll(pushes);

        Assert.Equal(Enumerable.Range(1, 10), results.Select(r => Assert.Single(r).Version).Order());
        var current = await nodes[0].GetAsync(TemplateKind.Template, "race", null, default);
        Assert.Equal(10, current!.Version);
    }

    [Fact]
    public async Task The_definition_round_trips_with_variables_and_sample_data()
    {
        var store = await OpenAsync();
        using var sample = System.Text.Json.JsonDocument.Parse("""{"name":"Ana","items":[{"price":1.5}]}""");
        var definition = new TemplateDefinition(Channel.Sms, Text: "Hi {{ name }}", From: "+15550100", ConfigurationSet: "otp",
            Culture: "pt-PT", TimeZone: "Europe/Lisbon", Variables: [new TemplateVariable("name", true, "first name"), new TemplateVariable("items", false)],
            SampleData: sample.RootElement.Clone(), Description: "login code", Syntax: TemplateSyntax.Liquid);

        await store.PushAsync([new TemplateDraft(TemplateKind.Template, "otp", definition)], null, default);
        var stored = (await store.GetAsync(TemplateKind.Template, "otp", 1, default))!;

        Assert.Equal(definition with { SampleData = null, Variables = null }, stored.Definition with { SampleData = null, Variables = null });
        Assert.Equal(definition.Variables, stored.Definition.Variables);
        Assert.Equal(sample.RootElement.GetRawText(), stored.Definition.SampleData!.Value.GetRawText());
        Assert.Equal(64, stored.ContentHash.Length);
    }

    [Fact]
    public async Task A_node_parses_each_version_once_and_keeps_it_until_the_version_or_a_partial_changes()
    {
        var store = await OpenAsync();
        var catalog = new TemplateCatalog(store, Microsoft.Extensions.Options.Options.Create(new TemplateOptions()), NullLogger<TemplateCatalog>.Instance);
        await store.PushAsync([Email("welcome", "Hi"), Partial("footer", "<p>f1</p>")], null, default);

        var first = await catalog.FindAsync("welcome", default);
        var again = await catalog.FindAsync("welcome", default);
        await store.PushAsync([Email("other", "Other")], null, default);
        Assert.True(await catalog.RefreshAsync(default));
        var afterUnrelatedPush = await catalog.FindAsync("welcome", default);
        await store.PushAsync([Partial("footer", "<p>f2</p>")], null, default);
        Assert.True(await catalog.RefreshAsync(default));
        var afterPartialChange = await catalog.FindAsync("welcome", default);

        Assert.Same(first, again);
        Assert.Same(first, afterUnrelatedPush);
        Assert.NotSame(first, afterPartialChange);
        Assert.Equal(1, afterPartialChange!.Source.Version);
    }

    [Fact]
    public async Task An_unreachable_store_fails_with_a_storage_exception()
    {
        var journal = new SqlJournal(UnreachableDialect(), Time, NullLogger.Instance);
        _opened.Add(journal);
        var store = new SqlTemplateStore(journal, Time);

        await Assert.ThrowsAsync<JournalStorageException>(() => store.RevisionAsync(default));
        await Assert.ThrowsAsync<JournalStorageException>(() => store.PushAsync([Email("x", "y")], null, default));
    }
}

public sealed class SqliteTemplateStoreTests : TemplateStoreTests, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-templates-{Guid.NewGuid():N}");

    protected override Task CreateStorageAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    private protected override SqlDialect NewDialect() => new SqliteDialect(Path.Combine(_directory, "engine.db"), "NORMAL");

    private protected override SqlDialect UnreachableDialect() => new SqliteDialect(_directory, "NORMAL");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresTemplateStoreTests(PostgresServer server) : TemplateStoreTests
{
    private string _connectionString = "";

    protected override async Task CreateStorageAsync() => _connectionString = await server.CreateDatabaseAsync();

    private protected override SqlDialect NewDialect() => new PostgresDialect(_connectionString);

    private protected override SqlDialect UnreachableDialect() =>
        new PostgresDialect("Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=5");
}
