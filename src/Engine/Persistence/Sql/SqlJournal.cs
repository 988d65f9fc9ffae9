using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>
/// The engine's database (SQLite or PostgreSQL, through <see cref="SqlDialect"/>) beside the Akka.Persistence plugin's
/// tables: its schema, and the read tables the plugin writes in the events' transactions (<c>messages</c>,
/// <c>suppressions</c>, <c>status_outbox</c>), queried here with a pooled connection each. It writes no event: the
/// recipients' events reach the store only through the plugin (<see cref="AkkaPlugin.EventStore"/>).
/// </summary>
internal sealed class SqlJournal : IJournal, IAsyncDisposable
{
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

    // The row of a message id new to its recipient, run before the rest of its events' transaction: it goes in if no row
    // has the id, or over the recipient's own bare claim (written alone by earlier versions); otherwise it touches no
    // row, and the write that carries it stores nothing.
    internal const string ClaimMessageSql = $"""
        INSERT INTO messages (message_id, recipient_key, channel, category, status, reason, provider_message_id,
                              accepted_at, updated_at, accepted_day, opens, clicks)
        VALUES (@id, @recipient, @channel, @category, @status, @reason, @provider, @accepted, @updated, @day, @opens, @clicks)
        ON CONFLICT (message_id) DO UPDATE SET
            status = excluded.status,
            reason = excluded.reason,
            provider_message_id = excluded.provider_message_id,
            updated_at = excluded.updated_at,
            opens = excluded.opens,
            clicks = excluded.clicks
        WHERE messages.recipient_key = excluded.recipient_key AND messages.reason = '{Recipients.RecipientReadModel.ClaimReason}'
        """;

    internal const string InsertStatusChangeSql =
        "INSERT INTO status_outbox (message_id, payload, created_at, claimed_until) VALUES (@id, @payload, @at, 0)";

    internal const string MessageColumns =
        "message_id, recipient_key, channel, category, status, reason, provider_message_id, accepted_at, updated_at, opens, clicks";

    private readonly SqlDialect _dialect;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private int _disposed;

    internal SqlJournal(SqlDialect dialect, TimeProvider timeProvider, ILogger logger)
    {
        _dialect = dialect;
        _timeProvider = timeProvider;
        _logger = logger;
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
        return new SqlJournal(dialect, timeProvider, logger);
    }

    public string Description => _dialect.Description;

    /// <summary>The store this journal writes to, for the other tables that live beside it (templates).</summary>
    internal SqlDialect Dialect => _dialect;

    /// <summary>Brings the schema up to date. Runs at start-up, before anything reads or writes.</summary>
    public Task MigrateAsync(CancellationToken cancellationToken) =>
        new SchemaMigrator(_dialect, _timeProvider, _logger).MigrateAsync(cancellationToken);

    /// <summary>Opens the store and brings its schema up to date before anything is written.</summary>
    public static async Task<SqlJournal> OpenAsync(
        SqlDialect dialect, TimeProvider timeProvider, ILogger logger, CancellationToken cancellationToken)
    {
        var journal = new SqlJournal(dialect, timeProvider, logger);
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

    /// <summary>Closes the store. The container may call it twice (as SqlJournal and as IJournal).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
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
}
