namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// A send recorded <c>unknown</c> had no provider <c>Send</c> event within <c>ReconcileUnknownAfter</c>: the provider
/// never took it, so it is sent once more (never a second time).
/// </summary>
public sealed record ResentAfterUnknown(string MessageId, DateTimeOffset At, string Reason) : IMessageEvent;
