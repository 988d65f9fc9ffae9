namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>One stored snapshot; <paramref name="CreatedAtTicks"/> are UTC <see cref="DateTime"/> ticks, as Akka's metadata has them.</summary>
internal sealed record SnapshotRow(
    string PersistenceId,
    long SequenceNr,
    long CreatedAtTicks,
    int SerializerId,
    string Manifest,
    byte[] Payload);
