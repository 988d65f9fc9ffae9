namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// The engine refused the message for good: the recipient is suppressed (<paramref name="Suppressed"/>), a frequency
/// cap was reached, or the content could not be made (unknown template, missing variable).
/// </summary>
public sealed record Rejected(string MessageId, string Reason, DateTimeOffset At, bool Suppressed = false) : IMessageEvent;
