namespace Messaging.Engine.Recipients.Events;

/// <summary>The provider took the message and gave it an id.</summary>
public sealed record Sent(string MessageId, string ProviderMessageId, DateTimeOffset At) : IMessageEvent;
