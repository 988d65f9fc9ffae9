namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// What one round trip reads for an entity's recovery: its newest snapshot within the criteria, the events after it
/// (all of them when <paramref name="EventsComplete"/>, else the first ones) and its highest sequence number.
/// </summary>
internal sealed record RecoveryRead(
    SnapshotRow? Snapshot, IReadOnlyList<JournalRow> Events, bool EventsComplete, long HighestSequenceNr)
{
    /// <summary>Events after this sequence number are in <see cref="Events"/> (up to where they end, if incomplete).</summary>
    public long EventsAfter => Snapshot?.SequenceNr ?? 0;
}
