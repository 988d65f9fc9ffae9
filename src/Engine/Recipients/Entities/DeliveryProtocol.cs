using Messaging.Contracts.Requests;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// Send this request (once): deduplicate, check suppression and caps, honour notBefore, render, send and record.
/// Answered with a <see cref="DeliveryOutcome"/>, already durable, or a <c>Status.Failure</c>. <paramref name="Priority"/> is the
/// request queue's (0 first) and orders the wait for the send rate; <paramref name="RedrivenBy"/> is set when an operator
/// redrove it from the dead-letter queue; <paramref name="LastReceive"/> when its queue allows no more receives.
/// </summary>
public sealed record Deliver(RecipientKey Key, MessageRequest Request, int Priority, string? RedrivenBy = null, bool LastReceive = false)
    : IRecipientMessage
{
    public override string ToString() => $"Deliver({Request.MessageId} to {Key})";
}

/// <summary>
/// The pipeline gave the request <paramref name="MessageId"/> back to its queue (shutdown) and no longer waits for its
/// answer: if it still waits for the send rate, the entity stops waiting and answers the <see cref="Deliver"/>'s asker a
/// failure; once its send intent is written the send goes through. Not answered. A message, not a token, so it works
/// the same whichever node the entity lives on.
/// </summary>
public sealed record AbandonDelivery(RecipientKey Key, string MessageId) : IRecipientMessage;
