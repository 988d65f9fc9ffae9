namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// The recipient gets no more messages. <paramref name="SourceMessageId"/> is the message whose feedback caused it;
/// <paramref name="By"/> and <paramref name="Note"/> say who and why when an operator did it.
/// </summary>
public sealed record Suppressed(
    SuppressionReason Reason, DateTimeOffset At, string? SourceMessageId = null, string? By = null, string? Note = null)
    : IRecipientEvent;
