using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;

namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// Feedback arrived for a message older than the recipient's recent ones: its entry is brought back from the
/// <c>messages</c> table first, so the feedback moves its real status forward instead of starting it afresh.
/// </summary>
public sealed record MessageRecalled(
    string MessageId, Category Category, MessageStatus Status, DateTimeOffset AcceptedAt, DateTimeOffset At,
    string? ProviderMessageId = null, int Opens = 0, int Clicks = 0) : IMessageEvent;
