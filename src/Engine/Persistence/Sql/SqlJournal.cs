using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>
/// The journal on a SQL database (SQLite or PostgreSQL, through <see cref="SqlDialect"/>): appends go through
/// <see cref="GroupCommitWriter{TWrite}"/> and are written many to a transaction; reads open a pooled connection each.
/// </summary>
internal sealed partial class SqlJournal : IJournal, IAsyncDisposable
{
    // The guard: the insert happens only if the id's highest sequence number is still the one the writer saw. Two
    // racing writers that both pass the check collide on the primary key; ON CONFLICT DO NOTHING turns that into
    // "0 rows", which we answer with a Conflict instead of aborting the whole batch's transaction.
    private const string InsertEventSql = """
        INSERT INTO journal (persistence_id, sequence_nr, type, payload, written_at)
        SELECT @pid, @seq, @type, @payload, @at
        WHERE (SELECT COALESCE(MAX(sequence_nr), 0) FROM journal WHERE persistence_id = @pid) = @expected
        ON CONFLICT (persistence_id, sequence_nr) DO NOTHING
        """;

    internal const string UpsertMessageSql = """
        INSERT INTO messages (message_id, recipient_key, channel, category, status, reason, provider_message_id,
                              accepted_at, updated_at, accepted_day, opens, clicks)
        VALUES (@id, @recipient, @channel, @category, @status, @reason, @provider, @accepted, @updated, @day, @opens, @clicks)
        ON CONFLICT (message_id) DO UPDATE SET
            status = excluded.status,
            reason = excluded.reason,
            provider_message_id = COALESCE(excluded.provider_message_id, messages.provider_message_id),
            updated_at = excluded.updated_at,
            opens = excluded.opens,
            clicks = excluded.clicks
        """;

    internal const string UpsertSuppressionSql = """
        INSERT INTO suppressions (recipient_key, channel, reason, since, source_message_id, by_whom, note)
        VALUES (@key, @channel, @reason, @since, @source, @by, @note)
        ON CONFLICT (recipient_key) DO UPDATE SET
            reason = excluded.reason, since = excluded.since, source_message_id = excluded.source_message_id,
            by_whom = excluded.by_whom, note = excluded.note
        """;

    internal const string DeleteSuppressionSql = "DELETE FROM suppressions WHERE recipient_key = @key";

    // A claim is the first row of a message id: it goes in only if no recipient has the id yet.
    internal const string ClaimMessageSql = """
        INSERT INTO messages (message_id, recipient_key, channel, category, status, reason, provider_message_id,
                              accepted_at, updated_at, accepted_day, opens, clicks)
        VALUES (@id, @recipient, @channel, @category, @status, @reason, @provider, @accepted, @updated, @day, @opens, @clicks)
        ON CONFLICT (message_id) DO NOTHING
        """;

    private const string DeleteClaimSql = "DELETE FROM messages WHERE message_id = @id AND recipient_key = @recipient";

    internal const string InsertStatusChangeSql =
        "INSERT INTO status_outbox (message_id, payload, created_at, claimed_until) VALUES (@id, @payload, @at, 0)";

    private const string UpsertSnapshotSql = """
        INSERT INTO snapshots (persistence_id, sequence_nr, type, payload, written_at)
        VALUES (@pid, @seq, @type, @payload, @at)
        ON CONFLICT (persistence_id) DO UPDATE SET
            sequence_nr = excluded.sequence_nr, type = excluded.type,
            payload = excluded.payload, written_at = excluded.written_at
        WHERE excluded.sequence_nr > snapshots.sequence_nr
        """;

    // Never deletes the highest event: it carries the concurrency guard.
    private const string TrimSql = """
        DELETE FROM journal WHERE persistence_id = @pid AND sequence_nr < @to
          AND sequence_nr < (SELECT MAX(sequence_nr) FROM journal WHERE persistence_id = @pid)
        """;

    private const string DeleteEventSql = "DELETE FROM journal WHERE persistence_id = @pid AND sequence_nr = @seq";

    private const string HighestSql =
        "SELECT COALESCE(MAX(sequence_nr), 0) FROM journal WHERE persistence_id = @pid";

    internal const string MessageColumns =
        "message_id, recipient_key, channel, category, status, reason, provider_message_id, accepted_at, updated_at, opens, clicks";

    private readonly SqlDialect _dialect;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly GroupCommitWriter<PendingAppend> _writer;
    private WriterConnection? _writerConnection; // the group-commit loop's alone: one batch at a time
    private int _disposed;

    internal SqlJournal(SqlDialect dialect, JournalOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _dialect = dialect;
        _timeProvider = timeProvider;
        _logger = logger;
        _writer = new GroupCommitWriter<PendingAppend>(WriteBatchAsync, options, timeProvider);
    }

    /// <summary>The journal the options ask for; relative SQLite paths are resolved against <paramref name="contentRoot"/>.</summary>
    internal static SqlJournal Create(JournalOptions options, string contentRoot, TimeProvider timeProvider, ILogger logger)
    {
        SqlDialect dialect = options.Provider switch
        {
            JournalProvider.Sqlite => new Sqlite.SqliteDialect(Path.Combine(contentRoot, options.SqlitePath), options.SqliteSynchronous, logger),
            JournalProvider.Postgres => new Postgres.PostgresDialect(options.PostgresConnectionString!),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "Unknown journal provider."),
        };
        return new SqlJournal(dialect, options, timeProvider, logger);
    }

    public string Description => _dialect.Description;

    /// <summary>The store this journal writes to, for the other tables that live beside it (templates).</summary>
    internal SqlDialect Dialect => _dialect;

    /// <summary>Brings the schema up to date. Runs at start-up, before anything reads or writes.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken) =>
        new SchemaMigrator(_dialect, _timeProvider, _logger).MigrateAsync(cancellationToken);

    /// <summary>Batches committed and appends answered so far, for benchmarks and metrics.</summary>
    public (long Batches, long Appends) WriterCounts => (_writer.Batches, _writer.Appends);

    /// <summary>Opens the store and brings its schema up to date before anything is written.</summary>
    public static async Task<SqlJournal> OpenAsync(
        SqlDialect dialect, JournalOptions options, TimeProvider timeProvider, ILogger logger,
        CancellationToken cancellationToken)
    {
        var journal = new SqlJournal(dialect, options, timeProvider, logger);
        try
        {
            await journal.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return journal;
        }
        catch
        {
            await journal.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        if (request.Events.Count == 0)
        {
            throw new ArgumentException("An append needs at least one event.", nameof(request));
        }

        var pending = new PendingAppend(request);
        var queued = _writer.EnqueueAsync(pending, cancellationToken);
        return queued.IsCompletedSuccessfully
            ? new ValueTask<AppendResult>(pending.Completion)
            : AnsweredAsync(queued, pending);

        static async ValueTask<AppendResult> AnsweredAsync(ValueTask queued, PendingAppend pending)
        {
            await queued.ConfigureAwait(false);
            return await pending.Completion.ConfigureAwait(false);
        }
    }

    private async Task WriteBatchAsync(IReadOnlyList<PendingAppend> batch, CancellationToken cancellationToken)
    {
        // Appends are written in persistence-id order so that two nodes' batches lock rows in the same order and
        // cannot deadlock on PostgreSQL. The sort is stable: one id's appends keep their order.
        IReadOnlyList<PendingAppend> ordered = batch.Count == 1
            ? batch
            : batch.OrderBy(p => p.Request.PersistenceId, StringComparer.Ordinal).ToList();
        try
        {
            var results = await WriteInTransactionAsync(ordered, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < ordered.Count; i++)
            {
                ordered[i].Complete(results[i]);
            }
        }
        catch (DbException e) when (ordered.Count > 1)
        {
            // One bad append must not fail its neighbours: write each alone, so each gets its own answer.
            LogBatchFailedWritingSingly(ordered.Count, e.Message);
            foreach (var pending in ordered)
            {
                try
                {
                    var results = await WriteInTransactionAsync([pending], cancellationToken).ConfigureAwait(false);
                    pending.Complete(results[0]);
                }
                catch (DbException single)
                {
                    pending.Fail(StorageFailure($"Appending to {pending.Request.PersistenceId}", single));
                }
            }
        }
        catch (DbException e)
        {
            ordered[0].Fail(StorageFailure($"Appending to {ordered[0].Request.PersistenceId}", e));
        }
    }

    private async Task<AppendResult[]> WriteInTransactionAsync(
        IReadOnlyList<PendingAppend> batch, CancellationToken cancellationToken)
    {
        _writerConnection ??= new WriterConnection(
            await _dialect.OpenAsync(forWrite: true, cancellationToken).ConfigureAwait(false));
        var writer = _writerConnection;
        AppendResult[] results;
        try
        {
            results = await WriteInTransactionAsync(writer, batch, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The failure may have broken the connection (the server gone, the file unreadable): the next batch, or
            // the retry of this one append by append, opens a fresh one.
            _writerConnection = null;
            await writer.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // Outside the try: the batch is committed, and the dialect's upkeep reports its own failures.
        await _dialect.AfterCommitAsync(writer.Connection, cancellationToken).ConfigureAwait(false);
        return results;
    }

    private async Task<AppendResult[]> WriteInTransactionAsync(
        WriterConnection writer, IReadOnlyList<PendingAppend> batch, CancellationToken cancellationToken)
    {
        var transaction = await writer.Connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var __ = transaction.ConfigureAwait(false);
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

        // First the claims of new message ids: an append whose id another recipient already has writes nothing and
        // answers Conflict, so its actor reloads, finds the id taken and answers Duplicate (one send per messageId,
        // whichever recipients and nodes race for it). Then every guarded event insert of the batch (one round trip
        // where the provider batches), then, knowing which appends won, their message rows and snapshots, and the
        // undoing of any partly written loser (and of a claim it made).
        var statements = new StatementBatch(writer, transaction);
        var claimLost = new bool[batch.Count];
        var claims = new List<int>();
        for (var i = 0; i < batch.Count; i++)
        {
            foreach (var claim in batch[i].Request.Claims)
            {
                var row = batch[i].Request.Messages.FirstOrDefault(m => m.MessageId == claim)
                    ?? throw new ArgumentException($"A claim of {claim} needs its message row in the same append.", nameof(batch));
                statements.Add(ClaimMessageSql, MessageParameters(row));
                claims.Add(i);
            }
        }

        if (claims.Count > 0)
        {
            var claimed = await statements.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < claims.Count; k++)
            {
                claimLost[claims[k]] |= claimed[k] == 0;
            }

            // A batch whose appends claimed in part: give back what the losers did claim.
            var claimIndex = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                foreach (var claim in batch[i].Request.Claims)
                {
                    if (claimLost[i] && claimed[claimIndex] == 1)
                    {
                        statements.Add(DeleteClaimSql, ("@id", claim), ("@recipient", batch[i].Request.PersistenceId));
                    }

                    claimIndex++;
                }
            }

            if (statements.Count > 0)
            {
                await statements.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (claimLost[i])
            {
                continue;
            }

            var request = batch[i].Request;
            var seq = request.ExpectedSequenceNr;
            foreach (var e in request.Events)
            {
                seq++;
                statements.Add(InsertEventSql,
                    ("@pid", request.PersistenceId), ("@seq", seq), ("@type", e.Type), ("@payload", AsArray(e.Payload)),
                    ("@at", now), ("@expected", seq - 1));
            }
        }

        var inserted = await statements.ExecuteAsync(cancellationToken).ConfigureAwait(false);

        var results = new AppendResult?[batch.Count];
        var conflicts = new List<int>();
        var statement = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var request = batch[i].Request;
            if (claimLost[i])
            {
                results[i] = new AppendResult.Conflict(request.ExpectedSequenceNr, request.ExpectedSequenceNr);
                continue;
            }

            var won = true;
            for (var e = 0; e < request.Events.Count; e++)
            {
                won &= inserted[statement + e] == 1;
            }

            if (won)
            {
                foreach (var message in request.Messages)
                {
                    statements.Add(UpsertMessageSql, MessageParameters(message));
                }

                if (request.Suppression is { } suppression)
                {
                    statements.Add(UpsertSuppressionSql, SuppressionParameters(suppression));
                }
                else if (request.SuppressionLifted)
                {
                    statements.Add(DeleteSuppressionSql, ("@key", request.PersistenceId));
                }

                foreach (var change in request.StatusChanges)
                {
                    statements.Add(InsertStatusChangeSql, ("@id", change.MessageId), ("@payload", change.Payload), ("@at", now));
                }

                if (request.Snapshot is { } snapshot)
                {
                    statements.Add(UpsertSnapshotSql,
                        ("@pid", request.PersistenceId), ("@seq", request.LastSequenceNr), ("@type", snapshot.Type),
                        ("@payload", AsArray(snapshot.Payload)), ("@at", now));
                    statements.Add(TrimSql, ("@pid", request.PersistenceId), ("@to", request.LastSequenceNr));
                }

                results[i] = new AppendResult.Written(request.LastSequenceNr);
            }
            else
            {
                // An append is all or nothing: take out whichever of its events did go in, and the ids it claimed.
                for (var e = 0; e < request.Events.Count; e++)
                {
                    if (inserted[statement + e] == 1)
                    {
                        statements.Add(DeleteEventSql,
                            ("@pid", request.PersistenceId), ("@seq", request.ExpectedSequenceNr + e + 1));
                    }
                }

                foreach (var claim in request.Claims)
                {
                    statements.Add(DeleteClaimSql, ("@id", claim), ("@recipient", request.PersistenceId));
                }

                conflicts.Add(i);
            }

            statement += request.Events.Count;
        }

        await statements.ExecuteAsync(cancellationToken).ConfigureAwait(false);

        // Conflicts are rare: each learns the actual highest sequence number with a query of its own.
        foreach (var i in conflicts)
        {
            var request = batch[i].Request;
            var highest = writer.Command(HighestSql, transaction, [("@pid", request.PersistenceId)]);
            var actual = Convert.ToInt64(
                await highest.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            results[i] = new AppendResult.Conflict(request.ExpectedSequenceNr, actual);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return results.Select(r => r!).ToArray();
    }

    public Task<IReadOnlyList<PersistedEvent>> ReadEventsAsync(
        string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        QueryAsync<PersistedEvent>(
            $"Reading events of {persistenceId}",
            """
            SELECT persistence_id, sequence_nr, type, payload, written_at FROM journal
            WHERE persistence_id = @pid AND sequence_nr >= @from ORDER BY sequence_nr
            """,
            c =>
            {
                AddParameter(c, "pid").Value = persistenceId;
                AddParameter(c, "from").Value = fromSequenceNr;
            },
            r => new PersistedEvent(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetFieldValue<byte[]>(3),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4))),
            cancellationToken);

    public Task<IReadOnlyList<PersistedEvent>> ReadEntityEventsAsync(
        string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        QueryAsync<PersistedEvent>(
            $"Reading the entity events of {persistenceId}",
            $"""
            SELECT persistence_id, sequence_nr, manifest, payload, written_at FROM event_journal
            WHERE persistence_id = @pid AND sequence_nr >= @from AND deleted = 0
              AND serializer_id = {AkkaPlugin.RecipientEventAkkaSerializer.Id} ORDER BY sequence_nr
            """,
            c =>
            {
                AddParameter(c, "pid").Value = persistenceId;
                AddParameter(c, "from").Value = fromSequenceNr;
            },
            r => new PersistedEvent(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetFieldValue<byte[]>(3),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4))),
            cancellationToken);

    public async Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"Reading the highest sequence number of {persistenceId}", HighestSql,
            c => AddParameter(c, "pid").Value = persistenceId,
            r => r.GetInt64(0), cancellationToken).ConfigureAwait(false);
        return rows[0];
    }

    public Task SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken) =>
        ExecuteAsync(
            $"Saving a snapshot of {snapshot.PersistenceId}",
            UpsertSnapshotSql,
            c =>
            {
                AddParameter(c, "pid").Value = snapshot.PersistenceId;
                AddParameter(c, "seq").Value = snapshot.SequenceNr;
                AddParameter(c, "type").Value = snapshot.Type;
                AddParameter(c, "payload").Value = AsArray(snapshot.Payload);
                AddParameter(c, "at").Value = snapshot.WrittenAt.ToUnixTimeMilliseconds();
            },
            cancellationToken);

    public async Task<Snapshot?> LoadSnapshotAsync(string persistenceId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"Loading the snapshot of {persistenceId}",
            "SELECT persistence_id, sequence_nr, type, payload, written_at FROM snapshots WHERE persistence_id = @pid",
            c => AddParameter(c, "pid").Value = persistenceId,
            r => new Snapshot(r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetFieldValue<byte[]>(3),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4))),
            cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<int> TrimEventsAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        ExecuteAsync(
            $"Trimming the journal of {persistenceId}",
            TrimSql,
            c =>
            {
                AddParameter(c, "pid").Value = persistenceId;
                AddParameter(c, "to").Value = toSequenceNr;
            },
            cancellationToken);

    public async Task<MessageRecord?> FindMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"Finding message {messageId}",
            $"SELECT {MessageColumns} FROM messages WHERE message_id = @id",
            c => AddParameter(c, "id").Value = messageId,
            ReadMessage, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<MessageRecord?> FindMessageByProviderIdAsync(
        string providerMessageId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"Finding the message with provider id {providerMessageId}",
            $"SELECT {MessageColumns} FROM messages WHERE provider_message_id = @provider LIMIT 1",
            c => AddParameter(c, "provider").Value = providerMessageId,
            ReadMessage, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<IReadOnlyList<MessageRecord>> FindMessagesByRecipientAsync(
        string recipientKey, DateTimeOffset from, DateTimeOffset until, int limit,
        CancellationToken cancellationToken) =>
        QueryAsync(
            $"Finding messages to {recipientKey}",
            $"""
            SELECT {MessageColumns} FROM messages
            WHERE recipient_key = @recipient AND accepted_at >= @from AND accepted_at < @until
            ORDER BY accepted_at DESC, message_id LIMIT @limit
            """,
            c =>
            {
                AddParameter(c, "recipient").Value = recipientKey;
                AddParameter(c, "from").Value = from.ToUnixTimeMilliseconds();
                AddParameter(c, "until").Value = until.ToUnixTimeMilliseconds();
                AddParameter(c, "limit").Value = limit;
            },
            ReadMessage, cancellationToken);

    public async Task<long> CountMessagesOnDayAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"Counting messages of {day:yyyy-MM-dd}",
            "SELECT COUNT(*) FROM messages WHERE accepted_day = @day",
            c => AddParameter(c, "day").Value = DayNumber(day),
            r => r.GetInt64(0), cancellationToken).ConfigureAwait(false);
        return rows[0];
    }

    public Task<IReadOnlyList<SuppressionRecord>> ListSuppressionsAsync(string? channel, int limit, string? after, CancellationToken cancellationToken) =>
        QueryAsync(
            "Listing suppressions",
            """
            SELECT recipient_key, channel, reason, since, source_message_id, by_whom, note FROM suppressions
            WHERE (@channel IS NULL OR channel = @channel) AND (@after IS NULL OR recipient_key > @after)
            ORDER BY recipient_key LIMIT @limit
            """,
            c =>
            {
                // Typed, so PostgreSQL can tell what a NULL parameter in "@channel IS NULL" is.
                var channelParameter = AddParameter(c, "channel");
                channelParameter.DbType = System.Data.DbType.String;
                channelParameter.Value = (object?)channel ?? DBNull.Value;
                var afterParameter = AddParameter(c, "after");
                afterParameter.DbType = System.Data.DbType.String;
                afterParameter.Value = (object?)after ?? DBNull.Value;
                AddParameter(c, "limit").Value = limit;
            },
            r => new SuppressionRecord(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)),
            cancellationToken);

    public async Task CheckWritableAsync(CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _dialect.OpenAsync(forWrite: true, cancellationToken).ConfigureAwait(false);
            await using var _ = connection.ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var __ = transaction.ConfigureAwait(false);
            // Takes the write lock (SQLite) or a row lock (PostgreSQL) and changes nothing; rolled back either way.
            using var probe = Command(connection, transaction, "UPDATE template_catalog SET revision = revision WHERE id = 1");
            await probe.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw StorageFailure("Checking that the store takes writes", e);
        }
    }

    public Task<int> PurgeMessagesBeforeAsync(DateOnly firstKeptDay, CancellationToken cancellationToken) =>
        ExecuteAsync(
            $"Purging messages before {firstKeptDay:yyyy-MM-dd}",
            "DELETE FROM messages WHERE accepted_day < @day",
            c => AddParameter(c, "day").Value = DayNumber(firstKeptDay),
            cancellationToken);

    /// <summary>Writes what is queued, then closes. The container may call it twice (as SqlJournal and as IJournal).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        if (_writerConnection is { } writer)
        {
            _writerConnection = null;
            await writer.DisposeAsync().ConfigureAwait(false);
        }

        await _dialect.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Days are stored as yyyymmdd integers: readable in a console, ordered, and the same in both stores.</summary>
    internal static int DayNumber(DateOnly day) => (day.Year * 10_000) + (day.Month * 100) + day.Day;

    internal static int DayNumber(DateTimeOffset time) => DayNumber(DateOnly.FromDateTime(time.UtcDateTime));

    internal static (string, object)[] SuppressionParameters(SuppressionRecord suppression) =>
    [
        ("@key", suppression.RecipientKey), ("@channel", suppression.Channel), ("@reason", suppression.Reason),
        ("@since", suppression.Since.ToUnixTimeMilliseconds()), ("@source", (object?)suppression.SourceMessageId ?? DBNull.Value),
        ("@by", (object?)suppression.By ?? DBNull.Value), ("@note", (object?)suppression.Note ?? DBNull.Value),
    ];

    internal static (string, object)[] MessageParameters(MessageRecord message) =>
    [
        ("@id", message.MessageId),
        ("@recipient", message.RecipientKey),
        ("@channel", message.Channel),
        ("@category", message.Category),
        ("@status", message.Status),
        ("@reason", (object?)message.Reason ?? DBNull.Value),
        ("@provider", (object?)message.ProviderMessageId ?? DBNull.Value),
        ("@accepted", message.AcceptedAt.ToUnixTimeMilliseconds()),
        ("@updated", message.UpdatedAt.ToUnixTimeMilliseconds()),
        ("@day", DayNumber(message.AcceptedAt)),
        ("@opens", message.Opens),
        ("@clicks", message.Clicks),
    ];

    internal static MessageRecord ReadMessage(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)),
        Convert.ToInt32(r.GetValue(9), CultureInfo.InvariantCulture),
        Convert.ToInt32(r.GetValue(10), CultureInfo.InvariantCulture));

    private async Task<IReadOnlyList<T>> QueryAsync<T>(
        string what, string sql, Action<DbCommand> bind, Func<DbDataReader, T> read,
        CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _dialect.OpenAsync(forWrite: false, cancellationToken).ConfigureAwait(false);
            await using var _ = connection.ConfigureAwait(false);
            using var command = Command(connection, null, sql);
            bind(command);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var __ = reader.ConfigureAwait(false);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(read(reader));
            }

            return rows;
        }
        catch (DbException e)
        {
            throw StorageFailure(what, e);
        }
    }

    private async Task<int> ExecuteAsync(
        string what, string sql, Action<DbCommand> bind, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _dialect.OpenAsync(forWrite: true, cancellationToken).ConfigureAwait(false);
            await using var _ = connection.ConfigureAwait(false);
            using var command = Command(connection, null, sql);
            bind(command);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw StorageFailure(what, e);
        }
    }

    private JournalStorageException StorageFailure(string what, DbException e) =>
        new($"{what} failed in {_dialect.Description}: {e.Message}", e);

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static DbParameter AddParameter(DbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        // Prefixed, so Microsoft.Data.Sqlite binds it directly instead of trying each prefix in turn.
        parameter.ParameterName = "@" + name;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private static byte[] AsArray(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToArray();

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "A journal batch of {Count} appends failed ({Reason}); writing them one by one")]
    private partial void LogBatchFailedWritingSingly(int count, string reason);
}
