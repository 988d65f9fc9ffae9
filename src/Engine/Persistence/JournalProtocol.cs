namespace Messaging.Engine.Persistence;

/// <summary>A serialized event or state: its stable type name (the plugin's manifest) and its bytes.</summary>
public sealed record NewEvent(string Type, ReadOnlyMemory<byte> Payload);

/// <summary>An event as stored, with its position in the persistence id's sequence.</summary>
public sealed record PersistedEvent(
    string PersistenceId, long SequenceNr, string Type, ReadOnlyMemory<byte> Payload, DateTimeOffset WrittenAt);

/// <summary>A suppressed recipient, as listed for operators.</summary>
public sealed record SuppressionRecord(
    string RecipientKey, string Channel, string Reason, DateTimeOffset Since, string? SourceMessageId, string? By, string? Note);

/// <summary>A message's status event (serialized <c>MessageStatusChanged</c>) for the status queue.</summary>
public sealed record StatusChange(string MessageId, string Payload);
