namespace Messaging.Engine.Recipients.Events;

/// <summary>The engine gave up after <paramref name="Attempts"/> transient failures; the request went to the dead-letter queue.</summary>
public sealed record DeadLettered(string MessageId, string Reason, int Attempts, DateTimeOffset At) : IMessageEvent;
