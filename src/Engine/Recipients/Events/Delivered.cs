namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// The provider reports delivery to the recipient's server or handset. <paramref name="FeedbackId"/> identifies the
/// provider event it came from, so a duplicate of that event changes nothing.
/// </summary>
public sealed record Delivered(string MessageId, DateTimeOffset At, string? FeedbackId = null) : IFeedbackEvent;
