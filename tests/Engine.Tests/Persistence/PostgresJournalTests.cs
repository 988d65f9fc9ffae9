using System.Text;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Postgres;
using Messaging.Engine.Persistence.Sql;
using Messaging.Testing;
using Npgsql;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>The journal conformance suite on a real PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJournalTests(PostgresServer server) : JournalConformanceTests
{
    private string _connectionString = "";

    protected override async Task CreateStorageAsync() => _connectionString = await server.CreateDatabaseAsync();

    private protected override SqlDialect NewDialect() => new PostgresDialect(_connectionString);

    // Port 1 on loopback: nothing listens, the connection is refused at once.
    private protected override SqlDialect UnreachableDialect() =>
        new PostgresDialect("Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=5");

    [Fact]
    public async Task A_writer_connection_the_server_ended_fails_its_batch_with_a_reason_and_the_next_batch_writes_on_a_new_one()
    {
        // The group commit keeps its connection open from batch to batch; a server restart or an administrator
        // ends it under the journal.
        var journal = await OpenAsync();
        Assert.Equal(new AppendResult.Written(1), await journal.AppendAsync(new("email:a@x.test", 0, Event("one")), default));

        await using (var admin = new NpgsqlConnection(_connectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                admin);
            Assert.True((long)(await terminate.ExecuteScalarAsync())! >= 1, "the journal's writer connection was open");
        }

        var broken = await Assert.ThrowsAsync<JournalStorageException>(
            () => journal.AppendAsync(new("email:a@x.test", 1, Event("two")), default).AsTask());
        Assert.Contains("email:a@x.test", broken.Message);

        Assert.Equal(new AppendResult.Written(2), await journal.AppendAsync(new("email:a@x.test", 1, Event("two, again")), default));
        Assert.Equal(["one", "two, again"], (await journal.ReadEventsAsync("email:a@x.test", 1, default))
            .Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
    }

    private static NewEvent Event(string text) => new("test.event.v1", Encoding.UTF8.GetBytes(text));
}
