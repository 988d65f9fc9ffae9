namespace Messaging.Engine.Persistence;

/// <summary>
/// The engine's database beside the Akka.Persistence plugin's tables: its schema, the read tables the plugin writes in
/// the recipients' events' transactions (<c>messages</c>, <c>suppressions</c>), and the entity events for a message's
/// history. Nothing here writes an event: events reach the store only through the plugin.
/// </summary>
/// <remarks>Failures of the store surface as <see cref="JournalStorageException"/>.</remarks>
public interface IJournal
{
    /// <summary>Proves the store takes writes now: a write in a transaction that is rolled back. For readiness.</summary>
    Task CheckWritableAsync(CancellationToken cancellationToken);

    /// <summary>Brings the database's schema (the plugin's tables, messages, templates) up to date; safe to call again.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Where the journal lives, for logs and health checks ("SQLite at data/engine.db").</summary>
    string Description { get; }

    /// <summary>
    /// The recipient events an Akka persistent entity wrote (the plugin's journal), not deleted, with a sequence number at
    /// or above <paramref name="fromSequenceNr"/>, in order; <see cref="PersistedEvent.Type"/> is the event's manifest.
    /// </summary>
    Task<IReadOnlyList<PersistedEvent>> ReadEntityEventsAsync(
        string persistenceId, long fromSequenceNr, CancellationToken cancellationToken);

    Task<MessageRecord?> FindMessageAsync(string messageId, CancellationToken cancellationToken);

    Task<MessageRecord?> FindMessageByProviderIdAsync(string providerMessageId, CancellationToken cancellationToken);

    /// <summary>A recipient's messages accepted in [<paramref name="from"/>, <paramref name="until"/>), newest first.</summary>
    Task<IReadOnlyList<MessageRecord>> FindMessagesByRecipientAsync(
        string recipientKey, DateTimeOffset from, DateTimeOffset until, int limit, CancellationToken cancellationToken);

    /// <summary>Suppressed recipients in key order, after <paramref name="after"/> (a key, for paging), of one channel or all.</summary>
    Task<IReadOnlyList<SuppressionRecord>> ListSuppressionsAsync(string? channel, int limit, string? after, CancellationToken cancellationToken);

    /// <summary>Number of messages accepted on a UTC day.</summary>
    Task<long> CountMessagesOnDayAsync(DateOnly day, CancellationToken cancellationToken);

    /// <summary>Deletes message rows accepted on days before <paramref name="firstKeptDay"/> (UTC). Returns the count.</summary>
    Task<int> PurgeMessagesBeforeAsync(DateOnly firstKeptDay, CancellationToken cancellationToken);
}
