using Akka.Configuration;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Messaging.Engine.Tests.Persistence.AkkaPlugin;

/// <summary>The plugin's conformance suite on SQLite: a database file on disk, in WAL mode, one per test.</summary>
public sealed class SqlitePluginTests : PluginConformanceTests
{
    private readonly string _directory;

    public SqlitePluginTests(ITestOutputHelper output)
        : this(Path.Combine(Path.GetTempPath(), $"messaging-akka-{Guid.NewGuid():N}"), output)
    {
    }

    private SqlitePluginTests(string directory, ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString($"akka.persistence.journal.engine {{ provider = sqlite, sqlite-path = \"{Path.Combine(directory, "engine.db")}\" }}"), output)
    {
        _directory = directory;
    }

    // A directory where the database file should be: SQLite cannot open it.
    private protected override Config UnreachableStorage => ConfigurationFactory.ParseString(
        $"akka.persistence.journal.engine {{ provider = sqlite, sqlite-path = \"{Directory.CreateDirectory(Path.Combine(_directory, "a-directory")).FullName}\" }}");

    private protected override SqlDialect InHouseDialect() => new SqliteDialect(Path.Combine(_directory, "engine.db"), "FULL");

    private protected override string RefusePoisonSql => """
        CREATE TRIGGER refuse_poison BEFORE INSERT ON event_journal
        WHEN instr(CAST(NEW.payload AS TEXT), 'poison') > 0
        BEGIN SELECT RAISE(ABORT, 'poison refused'); END;
        """;

    private protected override async Task<object?> ScalarAsync(string sql)
    {
        await Store.ReadHighestSequenceNrAsync("migrated", default);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "engine.db")};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private protected override async Task ExecuteSqlAsync(string sql)
    {
        await Store.ReadHighestSequenceNrAsync("migrated", default);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "engine.db")};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
    [Fact]
    public async Task Reads_one_after_another_are_served_by_one_kept_connection()
    {
        await Store.ReadHighestSequenceNrAsync("warm", default);
        var opened = Store.ReadConnectionsOpened;

        for (var i = 0; i < 20; i++)
        {
            await Store.ReadHighestSequenceNrAsync($"p-{i}", default);
            Assert.Null(await Store.FindMessageAsync($"m-{i}", default));
        }

        Assert.Equal(1, opened);
        Assert.Equal(opened, Store.ReadConnectionsOpened);
    }

    [Fact]
    public async Task A_kept_read_connection_holds_no_snapshot_between_reads_so_the_write_ahead_log_can_start_over()
    {
        var message = new MessageRecord("m-1", "email:ana@example.com", "email", "transactional", "accepted", null, null,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
        await WriteAsync(1, message);
        Assert.NotNull(await Store.FindMessageAsync("m-1", default));
        await WriteAsync(2, message with { MessageId = "m-2" });
        Assert.True(Store.ReadConnectionsOpened >= 1);

        // RESTART answers busy (1) while any connection still reads from the log; no waiting for one here.
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "engine.db")};Pooling=false");
        await connection.OpenAsync();
        await using var noWait = connection.CreateCommand();
        noWait.CommandText = "PRAGMA busy_timeout = 0";
        await noWait.ExecuteNonQueryAsync();
        await using var restart = connection.CreateCommand();
        restart.CommandText = "PRAGMA wal_checkpoint(RESTART)";
        await using var reader = await restart.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(0L, reader.GetInt64(0));
    }

    private Task WriteAsync(long sequenceNr, MessageRecord message) => Store.WriteAsync(new EventsWrite([new JournalRow(
        message.RecipientKey, sequenceNr, RecipientEventAkkaSerializer.Id, "test.event.v1", [1], 0, "test-writer", null,
        new ReadModelRows(message.RecipientKey, [message], []))]), default);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
