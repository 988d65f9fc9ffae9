namespace Messaging.Engine.Persistence;

/// <summary>
/// The event journal, snapshot store and <c>messages</c> read table of one database.
/// </summary>
/// <remarks>
/// What every implementation guarantees (checked by the journal conformance suite):
/// <list type="bullet">
/// <item>An append is atomic: its events and message rows are all durable, or none is.</item>
/// <item>An append whose <see cref="AppendRequest.ExpectedSequenceNr"/> is not the persistence id's highest sequence
/// number returns <see cref="AppendResult.Conflict"/>, also when two writers race (the primary key
/// <c>(persistence_id, sequence_nr)</c> decides).</item>
/// <item>Events read back in sequence order; a snapshot plus the events after it rebuild the state.</item>
/// <item>Trimming never removes the highest event, so the concurrency guard survives it.</item>
/// <item>A completed task means durable: the caller may ack the request that caused it.</item>
/// </list>
/// Failures of the store surface as <see cref="JournalStorageException"/>.
/// </remarks>
public interface IJournal
{
    /// <summary>Proves the store takes writes now: a write in a transaction that is rolled back. For readiness.</summary>
    Task CheckWritableAsync(CancellationToken cancellationToken);

    /// <summary>Brings the database's schema (journal, messages, templates) up to date; safe to call again.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Where the journal lives, for logs and health checks ("SQLite at data/engine.db").</summary>
    string Description { get; }

    ValueTask<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken);

    /// <summary>Events with a sequence number at or above <paramref name="fromSequenceNr"/>, in order.</summary>
    Task<IReadOnlyList<PersistedEvent>> ReadEventsAsync(
        string persistenceId, long fromSequenceNr, CancellationToken cancellationToken);

    /// <summary>
    /// The recipient events an Akka persistent entity wrote (the plugin's journal), not deleted, with a sequence number at
    /// or above <paramref name="fromSequenceNr"/>, in order; <see cref="PersistedEvent.Type"/> is the event's manifest.
    /// </summary>
    Task<IReadOnlyList<PersistedEvent>> ReadEntityEventsAsync(
        string persistenceId, long fromSequenceNr, CancellationToken cancellationToken);

    /// <summary>The highest sequence number written for the id, or 0 when it has none.</summary>
    Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken);

    /// <summary>Replaces the id's snapshot if <paramref name="snapshot"/> is newer than the stored one.</summary>
    Task SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken);

    Task<Snapshot?> LoadSnapshotAsync(string persistenceId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes events below <paramref name="toSequenceNr"/> (exclusive), which a snapshot has made redundant.
    /// The event at <paramref name="toSequenceNr"/> and later ones stay. Returns the number deleted.
    /// </summary>
    Task<int> TrimEventsAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken);

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
