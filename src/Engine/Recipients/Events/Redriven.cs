namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// An operator sent a dead-lettered request back to its queue (<paramref name="By"/>): its failed attempts are
/// forgotten and it is decided again, as if new.
/// </summary>
public sealed record Redriven(string MessageId, DateTimeOffset At, string By) : IMessageEvent;
