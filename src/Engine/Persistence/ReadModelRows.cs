namespace Messaging.Engine.Persistence;

/// <summary>
/// The read-table rows a recipient's events change, written in the events' own transaction: a <c>messages</c> row per
/// message the events touched, the <c>suppressions</c> row (written, or deleted when <see cref="SuppressionLifted"/>),
/// and the status events for <c>status_outbox</c> (empty when no status queue is configured).
/// </summary>
public sealed record ReadModelRows(string RecipientKey, IReadOnlyList<MessageRecord> Messages, IReadOnlyList<StatusChange> StatusChanges)
{
    /// <summary>
    /// The <c>messages</c> row of a message id new to the recipient, which these events claim: it goes in only if no row
    /// has the id yet (or the recipient's own bare claim does), and if it cannot, nothing of the write is stored — one
    /// send per message id across recipients and nodes, decided in the events' own transaction. Not in
    /// <see cref="Messages"/>.
    /// </summary>
    public MessageRecord? Claim { get; init; }

    public SuppressionRecord? Suppression { get; init; }

    public bool SuppressionLifted { get; init; }

    public bool IsEmpty => Claim is null && Messages.Count == 0 && StatusChanges.Count == 0 && Suppression is null && !SuppressionLifted;
}
