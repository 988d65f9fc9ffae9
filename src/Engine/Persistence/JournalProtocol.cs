namespace Messaging.Engine.Persistence;

/// <summary>An event to append: a stable type name and its serialized bytes. The journal never interprets either.</summary>
public sealed record NewEvent(string Type, ReadOnlyMemory<byte> Payload);

/// <summary>An event as stored, with its position in the persistence id's sequence.</summary>
public sealed record PersistedEvent(
    string PersistenceId, long SequenceNr, string Type, ReadOnlyMemory<byte> Payload, DateTimeOffset WrittenAt);

/// <summary>
/// Appends <paramref name="Events"/> after <paramref name="ExpectedSequenceNr"/> (the highest sequence number the
/// writer has seen; 0 for a new persistence id) and upserts <paramref name="Messages"/> into the read table, all in one
/// transaction. With a <see cref="Snapshot"/>, the same transaction also stores it as the state after these events and
/// trims the events before it.
/// </summary>
public sealed record AppendRequest(
    string PersistenceId,
    long ExpectedSequenceNr,
    IReadOnlyList<NewEvent> Events,
    IReadOnlyList<MessageRecord> Messages)
{
    public AppendRequest(string persistenceId, long expectedSequenceNr, params NewEvent[] events)
        : this(persistenceId, expectedSequenceNr, events, []) { }

    /// <summary>The state after these events (type and bytes), to store as the snapshot at the new highest sequence number.</summary>
    public NewEvent? Snapshot { get; init; }

    /// <summary>
    /// Message ids this append is the first to use: each goes into <c>messages</c> only if no row has it, and if one
    /// does (another recipient claimed it), nothing of the append is written and the answer is a conflict.
    /// </summary>
    public IReadOnlyList<string> Claims { get; init; } = [];

    /// <summary>Status events to publish (<c>status_outbox</c>), written in the same transaction when the append wins.</summary>
    public IReadOnlyList<StatusChange> StatusChanges { get; init; } = [];

    /// <summary>
    /// The recipient's row in the <c>suppressions</c> read table after these events: a record to write, or
    /// <see cref="SuppressionLifted"/> to delete it; neither when the events did not change the suppression.
    /// </summary>
    public SuppressionRecord? Suppression { get; init; }

    public bool SuppressionLifted { get; init; }

    /// <summary>The sequence number of the last event, once written.</summary>
    public long LastSequenceNr => ExpectedSequenceNr + Events.Count;

    public override string ToString() =>
        $"Append({PersistenceId} after #{ExpectedSequenceNr}: {string.Join(", ", Events.Select(e => e.Type))})";
}

/// <summary>A suppressed recipient, as listed for operators.</summary>
public sealed record SuppressionRecord(
    string RecipientKey, string Channel, string Reason, DateTimeOffset Since, string? SourceMessageId, string? By, string? Note);

/// <summary>A message's status event (serialized <c>MessageStatusChanged</c>) for the status queue.</summary>
public sealed record StatusChange(string MessageId, string Payload);

/// <summary>The closed set of answers to an <see cref="AppendRequest"/>.</summary>
public abstract record AppendResult
{
    private AppendResult() { }

    /// <summary>Durable: the events now end at <paramref name="HighestSequenceNr"/>.</summary>
    public sealed record Written(long HighestSequenceNr) : AppendResult;

    /// <summary>
    /// Another writer got there first: the journal is at <paramref name="ActualSequenceNr"/>, not the expected one.
    /// Nothing of the request was written; the writer reloads and decides again.
    /// </summary>
    public sealed record Conflict(long ExpectedSequenceNr, long ActualSequenceNr) : AppendResult;
}

/// <summary>The latest snapshot of a persistence id: its state as of <paramref name="SequenceNr"/>.</summary>
public sealed record Snapshot(
    string PersistenceId, long SequenceNr, string Type, ReadOnlyMemory<byte> Payload, DateTimeOffset WrittenAt);
