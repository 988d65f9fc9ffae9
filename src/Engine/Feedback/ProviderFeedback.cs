using Messaging.Contracts.Requests;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Feedback;

/// <summary>What a provider event says happened, in the engine's terms.</summary>
public enum FeedbackKind
{
    /// <summary>The provider accepted the message (SES <c>Send</c>, SMS <c>TEXT_SENT</c>): settles an unconfirmed send.</summary>
    Sent,
    Delivered,
    Bounced,
    Complained,
    Opened,
    Clicked,
    Delayed,

    /// <summary>Not delivered, and not a bounce: SES rejected or could not render it; a carrier blocked an SMS.</summary>
    Failed,

    /// <summary>The recipient opted out of SMS (a STOP reply). About the recipient, not one message.</summary>
    OptedOut,
}

/// <summary>
/// One provider event about one recipient, read from the feedback queue. <see cref="MessageId"/> is the engine's own id,
/// from the message's <c>messageId</c> tag (email) or context (SMS) or its <c>X-Correlation-ID</c> header; when the
/// event carries none, <see cref="ProviderMessageId"/> finds it. <see cref="FeedbackId"/> is the same for every copy of
/// the same provider event (SNS retries, raw and wrapped deliveries), so duplicates are recognised.
/// </summary>
/// <param name="Detail">The provider's words: bounce diagnostic, complaint type, clicked link, delay type, failure reason.</param>
public sealed record ProviderFeedback(
    FeedbackKind Kind,
    Channel Channel,
    string Recipient,
    string? MessageId,
    string? ProviderMessageId,
    DateTimeOffset At,
    string FeedbackId,
    string? ConfigurationSet = null,
    BounceKind? Bounce = null,
    string? Detail = null);
