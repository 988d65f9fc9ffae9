namespace Messaging.Engine.Persistence;

/// <summary>
/// The read-table rows a recipient's events change, written in the events' own transaction: a <c>messages</c> row per
/// message the events touched, the <c>suppressions</c> row (written, or deleted when <see cref="SuppressionLifted"/>),
/// and the status events for <c>status_outbox</c> (empty when no status queue is configured).
/// </summary>
public sealed record ReadModelRows(string RecipientKey, IReadOnlyList<MessageRecord> Messages, IReadOnlyList<StatusChange> StatusChanges)
{
    public SuppressionRecord? Suppression { get; init; }

    public bool SuppressionLifted { get; init; }

    public bool IsEmpty => Messages.Count == 0 && StatusChanges.Count == 0 && Suppression is null && !SuppressionLifted;
}
