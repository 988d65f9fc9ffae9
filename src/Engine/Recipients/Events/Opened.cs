namespace Messaging.Engine.Recipients.Events;

/// <summary>The recipient opened the message.</summary>
public sealed record Opened(string MessageId, DateTimeOffset At, string? FeedbackId = null) : IFeedbackEvent;
