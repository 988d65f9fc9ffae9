namespace Messaging.Engine.Recipients.Events;

/// <summary>
/// Something that happened to a recipient, as journaled. Events are immutable facts in the past tense; each is stored
/// under a stable, versioned type name (see <see cref="RecipientEventSerializer"/>), never its CLR name.
/// </summary>
public interface IRecipientEvent
{
    DateTimeOffset At { get; }
}

/// <summary>An event about one message.</summary>
public interface IMessageEvent : IRecipientEvent
{
    string MessageId { get; }
}

/// <summary>
/// An event the provider reported about a message after it was sent. <see cref="FeedbackId"/> names the provider's
/// event, so a duplicate of it is recognised and changes nothing.
/// </summary>
public interface IFeedbackEvent : IMessageEvent
{
    string? FeedbackId { get; }
}
