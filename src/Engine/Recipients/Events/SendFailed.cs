namespace Messaging.Engine.Recipients.Events;

/// <summary>The send failed. Permanent failures are final; transient ones are retried by the pipeline.</summary>
public sealed record SendFailed(string MessageId, string Reason, bool Permanent, DateTimeOffset At) : IMessageEvent;
