using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>The journal conformance suite on SQLite: a database file on disk, in WAL mode, one per test.</summary>
public sealed class SqliteJournalTests : JournalConformanceTests, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-sqlite-{Guid.NewGuid():N}");

    protected override Task CreateStorageAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    private protected override SqlDialect NewDialect() => new SqliteDialect(Path.Combine(_directory, "engine.db"), "FULL");

    // A directory where the database file should be: SQLite cannot open it.
    private protected override SqlDialect UnreachableDialect() => new SqliteDialect(_directory, "FULL");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
