namespace Messaging.Engine.Recipients.Events;

/// <summary>The recipient followed a link in the message.</summary>
public sealed record Clicked(string MessageId, DateTimeOffset At, string? Link = null, string? FeedbackId = null) : IFeedbackEvent;
