using Messaging.Contracts.Requests;

namespace Messaging.Engine.Recipients.Events;

/// <summary>A request was accepted for this recipient: its message id is now known, and counts toward frequency caps.</summary>
public sealed record RequestAccepted(string MessageId, Category Category, DateTimeOffset At, DateTimeOffset? NotBefore = null)
    : IMessageEvent;
