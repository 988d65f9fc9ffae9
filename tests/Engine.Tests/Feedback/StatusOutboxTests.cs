using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Postgres;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Messaging.Engine.Tests.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Engine.Tests.Feedback;

/// <summary>The status outbox on each store: written with the events, claimed once across nodes, claims expire.</summary>
public abstract class StatusOutboxTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _opened = [];

    protected ManualTimeProvider Time { get; } = new();

    protected abstract Task CreateStorageAsync();

    private protected abstract SqlDialect NewDialect();

    public Task InitializeAsync() => CreateStorageAsync();

    public async Task DisposeAsync()
    {
        foreach (var opened in Enumerable.Reverse(_opened))
        {
            await opened.DisposeAsync();
        }
    }

    /// <summary>A node's outbox, and the plugin's store its entities write through (with the status changes).</summary>
    private async Task<(ReadModelWriter Writer, StatusOutbox Outbox)> NodeAsync()
    {
        var journal = await SqlJournal.OpenAsync(NewDialect(), Time, NullLogger.Instance, default);
        _opened.Add(journal);
        var writer = new ReadModelWriter(NewDialect(), Time);
        _opened.Add(writer);
        return (writer, new StatusOutbox(journal));
    }

    private static ReadModelRows Changes(string pid, params string[] messageIds) =>
        new(pid, [], messageIds.Select(id => new StatusChange(id, $$"""{"messageId":"{{id}}"}""")).ToList());

    [Fact]
    public async Task Status_changes_are_written_only_when_their_event_is()
    {
        var (writer, outbox) = await NodeAsync();

        await writer.WriteAsync("email:a@x.test", 1, Changes("email:a@x.test", "m1", "m2"));
        // A second incarnation's write of a sequence number already taken fails: its status change goes nowhere.
        await Assert.ThrowsAsync<JournalStorageException>(() => writer.WriteAsync("email:a@x.test", 1, Changes("email:a@x.test", "lost")));

        var claimed = await outbox.ClaimAsync(10, Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(1), default);
        Assert.Equal(["m1", "m2"], claimed.Select(c => c.MessageId));
    }

    [Fact]
    public async Task Two_nodes_claiming_at_once_never_take_the_same_event_and_an_expired_claim_is_taken_again()
    {
        var (writer, first) = await NodeAsync();
        var (_, second) = await NodeAsync();
        for (var i = 0; i < 50; i++)
        {
            await writer.WriteAsync($"email:u{i}@x.test", 1, Changes($"email:u{i}@x.test", $"m{i}"));
        }

        var now = Time.GetUtcNow();
        var claims = (await Task.WhenAll(Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? first : second).ClaimAsync(10, now, now.AddMinutes(1), default)))).ToList();
        // Whatever the concurrent claims left (a claimer that lost every race comes back short), one more round takes.
        claims.Add(await second.ClaimAsync(100, now, now.AddMinutes(1), default));
        var all = claims.SelectMany(c => c).Select(e => e.MessageId).ToList();

        Assert.Equal(50, all.Distinct().Count());
        Assert.Equal(50, all.Count);
        Assert.Empty(await first.ClaimAsync(10, now.AddSeconds(30), now.AddMinutes(2), default));

        var published = claims.First(c => c.Count > 0);
        await first.DeleteAsync(published.Select(e => e.Id).ToList(), default);
        var again = await second.ClaimAsync(100, now.AddMinutes(2), now.AddMinutes(3), default);
        Assert.Equal(50 - published.Count, again.Count);
        Assert.Equal(50 - published.Count, await first.CountAsync(default));
    }
}

public sealed class SqliteStatusOutboxTests : StatusOutboxTests, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-outbox-{Guid.NewGuid():N}");

    protected override Task CreateStorageAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    private protected override SqlDialect NewDialect() => new SqliteDialect(Path.Combine(_directory, "engine.db"), "NORMAL");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresStatusOutboxTests(PostgresServer server) : StatusOutboxTests
{
    private string _connectionString = "";

    protected override async Task CreateStorageAsync() => _connectionString = await server.CreateDatabaseAsync();

    private protected override SqlDialect NewDialect() => new PostgresDialect(_connectionString);
}
