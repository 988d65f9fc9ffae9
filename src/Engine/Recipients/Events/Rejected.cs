namespace Messaging.Engine.Recipients.Events;

/// <summary>The engine refused the message for good (suppressed recipient, frequency cap, invalid content).</summary>
public sealed record Rejected(string MessageId, string Reason, DateTimeOffset At) : IMessageEvent;
