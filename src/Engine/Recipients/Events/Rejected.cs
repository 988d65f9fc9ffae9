namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// The engine refused the message: the recipient is suppressed (<paramref name="Suppressed"/>) or a frequency cap was
/// reached — decisions about the recipient, which spend the message id — or the request itself could not be used
/// (<paramref name="Content"/>: a bad field, an unknown template, a missing variable), which does not: a corrected
/// request with the same message id is processed.
/// </summary>
public sealed record Rejected(string MessageId, string Reason, DateTimeOffset At, bool Suppressed = false, bool Content = false) : IMessageEvent;
