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
    private readonly List<SqlJournal> _journals = [];

    protected ManualTimeProvider Time { get; } = new();

    protected abstract Task CreateStorageAsync();

    private protected abstract SqlDialect NewDialect();

    public Task InitializeAsync() => CreateStorageAsync();

    public async Task DisposeAsync()
    {
        foreach (var journal in _journals)
        {
            await journal.DisposeAsync();
        }
    }

    private async Task<(SqlJournal Journal, StatusOutbox Outbox)> NodeAsync()
    {
        var journal = await SqlJournal.OpenAsync(NewDialect(), new JournalOptions(), Time, NullLogger.Instance, default);
        _journals.Add(journal);
        return (journal, new StatusOutbox(journal));
    }

    private static AppendRequest Append(string pid, long expected, params string[] messageIds) =>
        new AppendRequest(pid, expected, [new NewEvent("test.v1", "{}"u8.ToArray())], [])
        {
            StatusChanges = messageIds.Select(id => new StatusChange(id, $$"""{"messageId":"{{id}}"}""")).ToList(),
        };

    [Fact]
    public async Task Status_changes_are_written_only_when_their_append_wins()
    {
        var (journal, outbox) = await NodeAsync();

        await journal.AppendAsync(Append("email:a@x.test", 0, "m1", "m2"), default);
        var conflict = await journal.AppendAsync(Append("email:a@x.test", 0, "lost"), default);

        Assert.IsType<AppendResult.Conflict>(conflict);
        var claimed = await outbox.ClaimAsync(10, Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(1), default);
        Assert.Equal(["m1", "m2"], claimed.Select(c => c.MessageId));
    }

    [Fact]
    public async Task Two_nodes_claiming_at_once_never_take_the_same_event_and_an_expired_claim_is_taken_again()
    {
        var (journal, first) = await NodeAsync();
        var (_, second) = await NodeAsync();
        for (var i = 0; i < 50; i++)
        {
            await journal.AppendAsync(Append($"email:u{i}@x.test", 0, $"m{i}"), default);
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
