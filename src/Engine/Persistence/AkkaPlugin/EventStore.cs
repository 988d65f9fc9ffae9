using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Messaging.Engine.Persistence.Sql;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// The storage under the Akka.Persistence plugin (<see cref="EngineJournal"/>, <see cref="EngineSnapshotStore"/>): every
/// change goes through the group commit (many entities' events share one transaction, one fsync), each read takes a
/// connection of its own (on SQLite one kept open with its statements prepared, see
/// <see cref="SqlDialect.KeepsReadConnections"/>), and an entity's recovery reads its snapshot, the events after it and
/// its highest sequence number in one round trip (<see cref="ReadForRecoveryAsync"/>).
/// </summary>
/// <remarks>
/// One per database in an actor system (<see cref="EventStores"/>), shared by the journal and the snapshot store so that
/// the journal can answer a recovery from what the snapshot store read.
/// </remarks>
internal sealed partial class EventStore : IAsyncDisposable
{
    private const string EventColumns = "sequence_nr, serializer_id, manifest, payload, written_at, writer_uuid";

    private const string SnapshotInRange = """
        persistence_id = @pid AND sequence_nr >= @minseq AND sequence_nr <= @maxseq
          AND created_at >= @mints AND created_at <= @maxts
        """;

    // Three statements, one round trip: the newest snapshot in range, the first events after it, the highest number.
    private const string RecoverySql = $"""
        SELECT sequence_nr, created_at, serializer_id, manifest, payload FROM snapshot_store
        WHERE {SnapshotInRange} ORDER BY sequence_nr DESC LIMIT 1;
        SELECT {EventColumns} FROM event_journal
        WHERE persistence_id = @pid AND deleted = 0
          AND sequence_nr > COALESCE((SELECT MAX(sequence_nr) FROM snapshot_store WHERE {SnapshotInRange}), 0)
        ORDER BY sequence_nr LIMIT @prefetch;
        SELECT COALESCE(MAX(sequence_nr), 0) FROM event_journal WHERE persistence_id = @pid;
        """;

    private const string HighestSql = "SELECT COALESCE(MAX(sequence_nr), 0) FROM event_journal WHERE persistence_id = @pid";

    private const string ReplaySql = $"""
        SELECT {EventColumns} FROM event_journal
        WHERE persistence_id = @pid AND deleted = 0 AND sequence_nr >= @from AND sequence_nr <= @to
        ORDER BY sequence_nr LIMIT @max
        """;

    private static readonly string FindMessageSql = $"SELECT {SqlJournal.MessageColumns} FROM messages WHERE message_id = @id";

    // Enough for the threads that read at once on a small node; a read beyond them opens (and then closes) its own.
    private const int MaxIdleReaders = 8;

    private readonly SqlDialect _dialect;
    private readonly ILogger _logger;
    private readonly int _recoveryPrefetch;
    private readonly GroupCommitWriter<StoreWrite> _writer;
    private readonly TimeProvider _timeProvider;
    private Task _migration;
    // Writes not yet durable, per id: a recovery waits for them so that it never reads a highest sequence number
    // that an outstanding write of an earlier incarnation is about to raise.
    private readonly ConcurrentDictionary<string, Task> _inFlight = new(StringComparer.Ordinal);
    private PreparedConnection? _writerConnection; // the group-commit loop's alone
    // Readers' connections between reads, newest on top; at most MaxIdleReaders, each serving one read at a time.
    private readonly ConcurrentStack<PreparedConnection> _idleReaders = new();
    private int _idleReaderCount;
    private long _readRoundTrips;
    private long _readConnectionsOpened;
    private int _disposed;

    public EventStore(SqlDialect dialect, EventStoreSettings settings, TimeProvider timeProvider, ILogger logger)
    {
        _dialect = dialect;
        _logger = logger;
        _recoveryPrefetch = settings.RecoveryPrefetch;
        Prefetches = new RecoveryPrefetches(settings.RecoveryCacheCapacity, timeProvider);
        _writer = new GroupCommitWriter<StoreWrite>(WriteBatchAsync, settings.Writer, timeProvider);
        _timeProvider = timeProvider;
        _migration = MigrateAsync();
    }

    public string Description => _dialect.Description;

    /// <summary>Recovery reads kept for the journal.</summary>
    public RecoveryPrefetches Prefetches { get; }

    /// <summary>Reads sent to the database so far (each one round trip), for tests of the recovery's fast path.</summary>
    public long ReadRoundTrips => Interlocked.Read(ref _readRoundTrips);

    /// <summary>Connections opened for reads so far (kept ones serve many reads), for tests of their reuse.</summary>
    public long ReadConnectionsOpened => Interlocked.Read(ref _readConnectionsOpened);

    /// <summary>Batches committed and writes answered so far, for benchmarks and tests.</summary>
    public (long Batches, long Writes) WriterCounts => (_writer.Batches, _writer.Appends);

    /// <summary>Queues <paramref name="write"/> on the group commit and completes when its batch is durable.</summary>
    public async Task WriteAsync(StoreWrite write, CancellationToken cancellationToken)
    {
        await MigratedAsync().ConfigureAwait(false);
        var completion = write.Completion;
        foreach (var id in write.PersistenceIds)
        {
            Prefetches.Forget(id);
            _inFlight[id] = completion;
        }

        try
        {
            await _writer.EnqueueAsync(write, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            write.Fail(e);
        }

        try
        {
            await completion.ConfigureAwait(false);
        }
        finally
        {
            foreach (var id in write.PersistenceIds)
            {
                // Again once durable: a recovery read that began before the commit may have missed it, so is not kept.
                Prefetches.Forget(id);
                _inFlight.TryRemove(new KeyValuePair<string, Task>(id, completion));
            }
        }
    }

    /// <summary>Waits until the id's outstanding writes are durable (or failed: a recovery reads what is stored).</summary>
    public async Task WhenWrittenAsync(string persistenceId)
    {
        await MigratedAsync().ConfigureAwait(false);
        while (_inFlight.TryGetValue(persistenceId, out var pending))
        {
            await pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .ConfigureAwait(false);
            _inFlight.TryRemove(new KeyValuePair<string, Task>(persistenceId, pending));
        }
    }

    public async Task<RecoveryRead> ReadForRecoveryAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken)
    {
        await WhenWrittenAsync(persistenceId).ConfigureAwait(false);
        var changesBeforeRead = Prefetches.ChangesTo(persistenceId);
        return await ReadAsync($"Reading {persistenceId} for recovery", async connection =>
        {
            var command = connection.Command(RecoverySql, null, [.. range.Parameters(persistenceId), ("@prefetch", _recoveryPrefetch)]);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var _ = reader.ConfigureAwait(false);
            SnapshotRow? snapshot = null;
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                snapshot = new SnapshotRow(persistenceId, reader.GetInt64(0), reader.GetInt64(1),
                    Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture), reader.GetString(3), reader.GetFieldValue<byte[]>(4));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            var events = new List<JournalRow>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(ReadEvent(persistenceId, reader));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var highest = reader.GetInt64(0);
            var read = new RecoveryRead(snapshot, events, events.Count < _recoveryPrefetch, highest);
            Prefetches.Keep(persistenceId, read, changesBeforeRead);
            return read;
        }).ConfigureAwait(false);
    }

    public async Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken)
    {
        await WhenWrittenAsync(persistenceId).ConfigureAwait(false);
        return await ReadAsync($"Reading the highest sequence number of {persistenceId}", async connection =>
        {
            var command = connection.Command(HighestSql, null, [("@pid", persistenceId)]);
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }).ConfigureAwait(false);
    }

    /// <summary>A message's row in the <c>messages</c> read table, whichever recipient it belongs to.</summary>
    public async Task<MessageRecord?> FindMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        await MigratedAsync().ConfigureAwait(false);
        return await ReadAsync($"Finding message {messageId}", async connection =>
        {
            var command = connection.Command(FindMessageSql, null, [("@id", messageId)]);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var _ = reader.ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? SqlJournal.ReadMessage(reader) : null;
        }).ConfigureAwait(false);
    }

    /// <summary>Events in [<paramref name="from"/>, <paramref name="to"/>] not deleted, in order, at most <paramref name="max"/>.</summary>
    public Task ReplayAsync(
        string persistenceId, long from, long to, long max, Action<JournalRow> onEvent, CancellationToken cancellationToken) =>
        ReadAsync($"Replaying {persistenceId}", async connection =>
        {
            var command = connection.Command(ReplaySql, null, [("@pid", persistenceId), ("@from", from), ("@to", to), ("@max", max)]);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var _ = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                onEvent(ReadEvent(persistenceId, reader));
            }

            return true;
        });

    private Task MigrateAsync() => new SchemaMigrator(_dialect, _timeProvider, _logger).MigrateAsync(CancellationToken.None);

    // A store unreachable at start is tried again by the next request, not given up for the life of the system.
    private Task MigratedAsync()
    {
        var migration = Volatile.Read(ref _migration);
        if (!migration.IsFaulted)
        {
            return migration;
        }

        Interlocked.CompareExchange(ref _migration, MigrateAsync(), migration);
        return Volatile.Read(ref _migration);
    }

    private static JournalRow ReadEvent(string persistenceId, DbDataReader reader) => new(
        persistenceId, reader.GetInt64(0), Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
        reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetInt64(4), reader.GetString(5), Tags: null);

    private async Task WriteBatchAsync(IReadOnlyList<StoreWrite> batch, CancellationToken cancellationToken)
    {
        try
        {
            await WriteInTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
            foreach (var write in batch)
            {
                write.Complete();
            }
        }
        catch (DbException e) when (batch.Count > 1)
        {
            // One bad write (a sequence number taken twice) must not fail its neighbours: each alone gets its own answer.
            LogBatchFailedWritingSingly(batch.Count, e.Message);
            foreach (var write in batch)
            {
                try
                {
                    await WriteInTransactionAsync([write], cancellationToken).ConfigureAwait(false);
                    write.Complete();
                }
                catch (DbException single)
                {
                    write.Fail(StorageFailure(write.ToString()!, single));
                }
            }
        }
        catch (DbException e)
        {
            batch[0].Fail(StorageFailure(batch[0].ToString()!, e));
        }
    }

    private async Task WriteInTransactionAsync(IReadOnlyList<StoreWrite> batch, CancellationToken cancellationToken)
    {
        _writerConnection ??= new PreparedConnection(await _dialect.OpenAsync(forWrite: true, cancellationToken).ConfigureAwait(false));
        var writer = _writerConnection;
        try
        {
            var statements = await StatementBatch.BeginAsync(writer, cancellationToken).ConfigureAwait(false);
            await using var _ = statements.ConfigureAwait(false);
            var firstStatements = new int[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                firstStatements[i] = statements.Count;
                batch[i].AddGuardsTo(statements);
            }

            if (statements.Count > 0)
            {
                var guards = await statements.ExecuteAsync(cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    var end = i + 1 < batch.Count ? firstStatements[i + 1] : guards.Length;
                    batch[i].Guarded(guards.AsSpan(firstStatements[i], end - firstStatements[i]));
                }
            }

            for (var i = 0; i < batch.Count; i++)
            {
                firstStatements[i] = statements.Count;
                batch[i].AddTo(statements);
            }

            var affected = await statements.CommitAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                var end = i + 1 < batch.Count ? firstStatements[i + 1] : affected.Length;
                batch[i].Committed(affected.AsSpan(firstStatements[i], end - firstStatements[i]));
            }
        }
        catch
        {
            // The failure may have broken the connection: the next batch opens a fresh one.
            _writerConnection = null;
            await writer.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // Outside the try: the batch is committed, and the dialect's upkeep reports its own failures.
        await _dialect.AfterCommitAsync(writer.Connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One read on a connection of its own; its commands must not be disposed by <paramref name="read"/>.</summary>
    private async Task<T> ReadAsync<T>(string what, Func<PreparedConnection, Task<T>> read)
    {
        PreparedConnection? connection = null;
        try
        {
            connection = TakeIdleReader();
            if (connection is null)
            {
                connection = new PreparedConnection(await _dialect.OpenAsync(forWrite: false, CancellationToken.None).ConfigureAwait(false));
                Interlocked.Increment(ref _readConnectionsOpened);
            }

            Interlocked.Increment(ref _readRoundTrips);
            var result = await read(connection).ConfigureAwait(false);
            var used = connection;
            connection = null;
            await KeepOrCloseAsync(used).ConfigureAwait(false);
            return result;
        }
        catch (DbException e)
        {
            throw StorageFailure(what, e);
        }
        finally
        {
            if (connection is not null)
            {
                // The read failed: the connection may be broken, and is never used again.
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private PreparedConnection? TakeIdleReader()
    {
        if (!_idleReaders.TryPop(out var connection))
        {
            return null;
        }

        Interlocked.Decrement(ref _idleReaderCount);
        return connection;
    }

    private async ValueTask KeepOrCloseAsync(PreparedConnection connection)
    {
        if (_dialect.KeepsReadConnections && Volatile.Read(ref _disposed) == 0)
        {
            if (Interlocked.Increment(ref _idleReaderCount) <= MaxIdleReaders)
            {
                _idleReaders.Push(connection);
                if (Volatile.Read(ref _disposed) == 1)
                {
                    // Disposed meanwhile: close what it may have missed.
                    await CloseIdleReadersAsync().ConfigureAwait(false);
                }

                return;
            }

            Interlocked.Decrement(ref _idleReaderCount);
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task CloseIdleReadersAsync()
    {
        while (TakeIdleReader() is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private JournalStorageException StorageFailure(string what, DbException e) =>
        new($"{what} failed in {_dialect.Description}: {e.Message}", e);

    /// <summary>Writes what is queued, then closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        await CloseIdleReadersAsync().ConfigureAwait(false);
        if (_writerConnection is { } writer)
        {
            _writerConnection = null;
            await writer.DisposeAsync().ConfigureAwait(false);
        }

        await _dialect.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "An event store batch of {Count} writes failed ({Reason}); writing them one by one")]
    private partial void LogBatchFailedWritingSingly(int count, string reason);
}
