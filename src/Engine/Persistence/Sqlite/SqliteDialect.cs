using System.Data.Common;
using Messaging.Engine.Persistence.Sql;
using Microsoft.Data.Sqlite;

namespace Messaging.Engine.Persistence.Sqlite;

/// <summary>
/// SQLite in WAL mode: readers never block the single writer, and a commit is one append to the WAL plus one fsync
/// (with <c>synchronous=FULL</c>), which group commit spreads over a whole batch.
/// </summary>
internal sealed class SqliteDialect : SqlDialect
{
    private readonly string _connectionString;
    private readonly string _synchronousPragma;

    public SqliteDialect(string path, string synchronous)
    {
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        Description = $"SQLite at {path}";
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // How long a connection waits for another process's write lock before giving up.
            DefaultTimeout = 30,
        }.ToString();
        _synchronousPragma = $"PRAGMA synchronous = {synchronous};";
    }

    public override string Description { get; }

    public override IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(1, "journal, snapshots and messages", """
            CREATE TABLE journal (
                persistence_id TEXT NOT NULL,
                sequence_nr INTEGER NOT NULL,
                type TEXT NOT NULL,
                payload BLOB NOT NULL,
                written_at INTEGER NOT NULL,
                PRIMARY KEY (persistence_id, sequence_nr)) WITHOUT ROWID;
            CREATE TABLE snapshots (
                persistence_id TEXT PRIMARY KEY,
                sequence_nr INTEGER NOT NULL,
                type TEXT NOT NULL,
                payload BLOB NOT NULL,
                written_at INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE messages (
                message_id TEXT PRIMARY KEY CHECK (message_id <> ''),
                recipient_key TEXT NOT NULL,
                channel TEXT NOT NULL,
                category TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                provider_message_id TEXT,
                accepted_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                accepted_day INTEGER NOT NULL);
            CREATE INDEX messages_by_provider_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
            CREATE INDEX messages_by_recipient ON messages (recipient_key, accepted_at);
            CREATE INDEX messages_by_day ON messages (accepted_day);
            """),
    ];

    public override async ValueTask<DbConnection> OpenAsync(bool forWrite, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (forWrite)
            {
                // journal_mode is stored in the file; synchronous is per connection and matters only where we write.
                using var pragma = connection.CreateCommand();
                pragma.CommandText = "PRAGMA journal_mode = WAL; " + _synchronousPragma;
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // BeginTransaction takes SQLite's write lock at once (BEGIN IMMEDIATE), so another process migrating waits.
    public override Task LockForMigrationAsync(
        DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;
}
