using Akka.Configuration;
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

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
