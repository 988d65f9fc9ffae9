namespace Messaging.Engine.Recipients.Events;

/// <summary>The recipient reported the message as unwanted.</summary>
public sealed record Complained(string MessageId, DateTimeOffset At, string? FeedbackType = null, string? FeedbackId = null) : IFeedbackEvent;
