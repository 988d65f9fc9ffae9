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
    /// <summary>
    /// Fires when the pipeline gives the request back to its queue (shutdown): the entity stops waiting for the send
    /// rate and answers a failure — but once the send intent is written, it goes through with the call. In-process
    /// only: a token does not cross the wire, so a sender on another node cannot abandon (the entity then waits for
    /// its permit, as a request without a token does).
    /// </summary>
    public CancellationToken Abandoned { get; init; }

    public override string ToString() => $"Deliver({Request.MessageId} to {Key})";
}
