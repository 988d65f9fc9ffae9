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
/// <para>
/// A passive checkpoint never starts the WAL over: SQLite does that only when a write begins with every frame copied
/// back and no reader on an older snapshot, which under steady reads and writes almost never happens — the WAL grew
/// by 10 MB a second at 500 sends/s, without end, and each append into new blocks of the file cost the kernel a
/// seventh of the engine's CPU. So after each background pass the group commit, between two batches, asks for a
/// RESTART checkpoint on its own connection: it copies the few frames written since, and if no reader is on an older
/// snapshot the next batch writes from the start of the WAL again; if one is, it answers busy at once (no waiting in
/// the commit path) and is asked again after a later batch, at most every 50 ms. Reads that overlap without a gap (a
/// busy API or a loaded machine) can answer busy for ever; so once the restart has been due for a second, a try may
/// wait up to 20 ms for the readers on older snapshots to finish (new readers start on the newest one and do not
/// block it) — a bounded pause of the writer loop at most once per such try.
/// </para>
/// </remarks>
internal sealed partial class SqliteDialect : SqlDialect
{
    // Each checkpoint fsyncs the database file, which competes with the commits' own fsyncs: every second cost a lone
    // writer 70 % (204 → 349 µs per append); every 10 s the WAL grows by at most ten seconds of writes.
    private static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromSeconds(10);

    private readonly string _connectionString;
    private readonly string _synchronousPragma;
    private readonly TimeSpan _checkpointInterval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _checkpoints = Task.CompletedTask;
    private int _checkpointsStarted;
    // Set by each background pass, cleared once the writer has started the WAL over.
    private int _restartDue;
    private long _restartTried; // the writer loop's alone
    private long _restartDueSince; // the writer loop's alone; 0 while no restart is due
    private long _restarts;
    private int _disposed;

    public SqliteDialect(string path, string synchronous, ILogger? logger = null, TimeSpan? checkpointInterval = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _checkpointInterval = checkpointInterval ?? DefaultCheckpointInterval;
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
        DeadLetterBodyTable(bigint: "INTEGER"),
        AkkaPersistenceTables(bigint: "INTEGER", bytes: "BLOB", keyedTableOptions: " WITHOUT ROWID"),
        RecipientHistoryCopy(),
    ];

    public override bool KeepsReadConnections => true;

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
        using var timer = new PeriodicTimer(_checkpointInterval);
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
        Volatile.Write(ref _restartDue, 1);
    }

    private const int RestartWaitMilliseconds = 20;

    /// <summary>Times the writer started the WAL over (for tests and benchmarks).</summary>
    internal long WalRestarts => Interlocked.Read(ref _restarts);

    public override async ValueTask AfterCommitAsync(DbConnection writer, CancellationToken cancellationToken)
    {
        // At most one try every 50 ms: a try that copies frames also fsyncs the database file.
        var now = Environment.TickCount64;
        if (Volatile.Read(ref _restartDue) == 0 || now - _restartTried < 50)
        {
            return;
        }

        _restartTried = now;
        if (_restartDueSince == 0)
        {
            _restartDueSince = now;
        }

        // SQLite's busy handler is what RESTART waits on for older readers; the connection's is otherwise off.
        var waitMilliseconds = now - _restartDueSince >= 1000 ? RestartWaitMilliseconds : 0;
        try
        {
            using (var wait = writer.CreateCommand())
            {
                wait.CommandText = $"PRAGMA busy_timeout = {waitMilliseconds};";
                await wait.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            using var restart = writer.CreateCommand();
            restart.CommandText = "PRAGMA wal_checkpoint(RESTART);";
            var reader = await restart.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var _ = reader.ConfigureAwait(false);
            // One row: busy (1 while a reader is on an older snapshot), frames in the WAL, frames copied back.
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && reader.GetInt64(0) == 0)
            {
                Volatile.Write(ref _restartDue, 0);
                _restartDueSince = 0;
                Interlocked.Increment(ref _restarts);
            }
        }
        catch (SqliteException e)
        {
            // The batch is committed; the WAL only grows until a later try succeeds.
            LogRestartFailed(e, Description);
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Starting the write-ahead log of {Store} over failed; trying again after a later batch")]
    private partial void LogRestartFailed(Exception exception, string store);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A background checkpoint of {Store} failed; trying again at the next tick")]
    private partial void LogCheckpointFailed(Exception exception, string store);

    // BeginTransaction takes SQLite's write lock at once (BEGIN IMMEDIATE), so another process migrating waits.
    public override Task LockForMigrationAsync(
        DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;
}
