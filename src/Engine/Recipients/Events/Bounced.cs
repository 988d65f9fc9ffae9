namespace Messaging.Engine.Recipients.Events;

/// <summary>The message bounced; <paramref name="Diagnostic"/> is the provider's reason as given.</summary>
public sealed record Bounced(string MessageId, BounceKind Kind, DateTimeOffset At, string? Diagnostic = null, string? FeedbackId = null)
    : IFeedbackEvent;
