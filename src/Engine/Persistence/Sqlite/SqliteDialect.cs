using System.Data.Common;
using Messaging.Engine.Persistence.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Engine.Persistence.Sqlite;

/// <summary>
/// SQLite in WAL mode: readers never block the single writer, and a commit is one append to the WAL plus one fsync
/// (with <c>synchronous=FULL</c>), which group commit spreads over a whole batch.
/// </summary>
/// <remarks>
/// Checkpoints (copying the WAL back into the database file, with an fsync of that file) are taken off the commit
/// path: writers do not checkpoint, a background loop does, passively, every ten seconds. SQLite's automatic
/// checkpoint runs inside whichever commit crosses 1,000 pages, and every send waiting on that commit waits for it.
/// </remarks>
internal sealed partial class SqliteDialect : SqlDialect
{
    // Each checkpoint fsyncs the database file, which competes with the commits' own fsyncs: every second cost a lone
    // writer 70 % (204 → 349 µs per append); every 10 s the WAL grows by at most ten seconds of writes.
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(10);

    private readonly string _connectionString;
    private readonly string _synchronousPragma;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _checkpoints = Task.CompletedTask;
    private int _checkpointsStarted;
    private int _disposed;

    public SqliteDialect(string path, string synchronous, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
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
        // A table keyed by (id, number) is stored in key order without a separate rowid: fewer pages per append.
        JournalTables(bigint: "INTEGER", bytes: "BLOB", keyedTableOptions: " WITHOUT ROWID"),
        TemplateTables(bigint: "INTEGER"),
        ReputationTables(bigint: "INTEGER", identity: "INTEGER PRIMARY KEY"),
        SuppressionTable(bigint: "INTEGER"),
        NodeTable(bigint: "INTEGER"),
        SendSlotTable(bigint: "INTEGER"),
        NodeShareColumn(),
    ];

    public override string NowMicroseconds => "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)";

    public override async ValueTask<DbConnection> OpenAsync(bool forWrite, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (forWrite)
            {
                // journal_mode is stored in the file; synchronous and wal_autocheckpoint are per connection and matter
                // only where we write.
                using var pragma = connection.CreateCommand();
                pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; " + _synchronousPragma;
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (Interlocked.Exchange(ref _checkpointsStarted, 1) == 0)
                {
                    _checkpoints = Task.Run(() => CheckpointAsync(_stopping.Token), CancellationToken.None);
                }
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task CheckpointAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(CheckpointInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                try
                {
                    // A thread of its own for the checkpoint's fsync, so it never holds a pool thread (see GroupCommitWriter).
                    await Task.Factory.StartNew(Checkpoint, stopping, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                        .ConfigureAwait(false);
                }
                catch (SqliteException e)
                {
                    // The WAL only grows until the next tick succeeds; nothing is lost or blocked meanwhile.
                    LogCheckpointFailed(e, Description);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private void Checkpoint()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var checkpoint = connection.CreateCommand();
        // PASSIVE: copies what it can without waiting for, or blocking, readers and the writer.
        checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        checkpoint.ExecuteNonQuery();
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _checkpoints.ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A background checkpoint of {Store} failed; trying again at the next tick")]
    private partial void LogCheckpointFailed(Exception exception, string store);

    // BeginTransaction takes SQLite's write lock at once (BEGIN IMMEDIATE), so another process migrating waits.
    public override Task LockForMigrationAsync(
        DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;
}
