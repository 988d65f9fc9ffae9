using Akka.Persistence;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>Akka's snapshot selection criteria as bounds a query can use (inclusive; times in UTC ticks).</summary>
internal readonly record struct SnapshotRange(long MinSequenceNr, long MaxSequenceNr, long MinTicks, long MaxTicks)
{
    public static SnapshotRange Of(SnapshotSelectionCriteria criteria) => new(
        criteria.MinSequenceNr,
        criteria.MaxSequenceNr,
        criteria.MinTimestamp?.Ticks ?? 0,
        criteria.MaxTimeStamp.Ticks);

    public (string Name, object Value)[] Parameters(string persistenceId) =>
    [
        ("@pid", persistenceId),
        ("@minseq", MinSequenceNr),
        ("@maxseq", MaxSequenceNr),
        ("@mints", MinTicks),
        ("@maxts", MaxTicks),
    ];
}
