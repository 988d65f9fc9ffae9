namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// A send was intended (and may have happened) but its outcome was never recorded: the process stopped mid-call, or
/// the call timed out. Under at-most-once delivery the message is not sent again.
/// </summary>
public sealed record SendUnconfirmed(string MessageId, string Reason, DateTimeOffset At) : IMessageEvent;
