namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// The provider accepted the message but then did not deliver it, for a reason that is not a bounce: SES rejected its
/// content (a virus) or could not render it; a carrier blocked an SMS or called it spam.
/// </summary>
public sealed record DeliveryFailed(string MessageId, DateTimeOffset At, string Reason, string? FeedbackId = null) : IFeedbackEvent;
