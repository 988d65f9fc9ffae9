namespace Messaging.Engine.Recipients.Events;

/// <summary>The provider is still trying: the receiving server deferred the message (<paramref name="DelayType"/>).</summary>
public sealed record DeliveryDelayed(string MessageId, DateTimeOffset At, string DelayType, string? FeedbackId = null) : IFeedbackEvent;
