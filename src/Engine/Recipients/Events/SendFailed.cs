namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// The send failed. Permanent failures are final; transient ones count toward giving up and are retried by the
/// pipeline; a <paramref name="Throttled"/> one (the provider said slow down, or the daily quota is used up) is
/// neither: nothing was sent and the message simply waits for its turn.
/// </summary>
public sealed record SendFailed(string MessageId, string Reason, bool Permanent, DateTimeOffset At, bool Throttled = false)
    : IMessageEvent;
