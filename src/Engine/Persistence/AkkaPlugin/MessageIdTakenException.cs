namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// Why a recipient's events were not stored: they claimed a message id that <paramref name="owner"/>'s row already has
/// (another recipient's message, or one this recipient handled and no longer remembers). Akka tells the entity its
/// events were rejected with this cause; nothing of them is in the journal.
/// </summary>
public sealed class MessageIdTakenException(string messageId, MessageRecord? owner)
    : Exception($"Message id {messageId} is taken{(owner is null ? "" : $" by {owner.RecipientKey} ({owner.Status})")}.")
{
    public string MessageId { get; } = messageId;

    /// <summary>The id's row as read after the refusal; null if it was purged in between.</summary>
    public MessageRecord? Owner { get; } = owner;
}
