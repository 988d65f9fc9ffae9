namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// One event as the plugin stores it: the payload already serialized by Akka's serialization (its serializer id and
/// string manifest say how to read it back), <paramref name="WrittenAt"/> in Unix milliseconds. <paramref name="ReadModel"/>
/// is written in the same transaction (never read back).
/// </summary>
internal sealed record JournalRow(
    string PersistenceId,
    long SequenceNr,
    int SerializerId,
    string Manifest,
    byte[] Payload,
    long WrittenAt,
    string WriterUuid,
    string? Tags,
    ReadModelRows? ReadModel = null);
