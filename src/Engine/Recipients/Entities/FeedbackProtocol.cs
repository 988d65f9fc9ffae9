using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// A provider event about this recipient (one of its messages, or an SMS opt-out). <paramref name="Recalled"/> is the
/// message's row when the entity may no longer remember it. Answered with the number of events written: 0 for a
/// duplicate or an event that changes nothing.
/// </summary>
public sealed record RecordProviderFeedback(RecipientKey Key, ProviderFeedback Feedback, MessageRecord? Recalled) : IRecipientMessage
{
    public override string ToString() => $"RecordProviderFeedback({Feedback.Kind} of {Feedback.MessageId} for {Key})";
}
