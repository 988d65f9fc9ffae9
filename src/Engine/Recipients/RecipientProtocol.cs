using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Actors;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Recipients;

/// <summary>What a recipient actor can be told or asked. The sending pipeline and feedback add their own commands.</summary>
public abstract record RecipientCommand;

/// <summary>
/// Send this request (once): deduplicate, check suppression and caps, honour notBefore, render, send and record.
/// <paramref name="Priority"/> is the request queue's (0 first) and orders the wait for the send rate.
/// <paramref name="Abandoned"/> fires when the pipeline gives the request back to its queue (shutdown): the actor
/// stops waiting for the send rate — but once the send intent is written, it goes through with the call.
/// </summary>
/// <paramref name="RedrivenBy"/> is set when an operator redrove the request from the dead-letter queue: a
/// dead-lettered message is then tried again instead of being dead-lettered once more.
/// <paramref name="LastReceive"/> is set when the request may not be put back for later (its queue would move it to the
/// dead-letter queue without a reason): a send that may still be in flight is then decided at once.
public sealed record DeliverRequest(
    MessageRequest Request, int Priority, Reply<DeliveryOutcome> Reply, CancellationToken Abandoned = default, string? RedrivenBy = null,
    bool LastReceive = false) : RecipientCommand
{
    public override string ToString() => $"DeliverRequest({Request.MessageId} to {Request.Channel}:{Request.To})";
}

/// <summary>
/// A request for this recipient could not be read (a bad field, say): record it as rejected with the reason, so the
/// recipient's history and the message lookup show it. Does nothing if the message id is already known.
/// </summary>
public sealed record RecordRejection(string MessageId, string Reason, Reply<bool> Reply) : RecipientCommand;

/// <summary>
/// A provider event about this recipient (one of its messages, or an SMS opt-out). <paramref name="Recalled"/> is the
/// message's row when the actor may no longer remember it. Replies with the number of events written: 0 for a
/// duplicate or an event that changes nothing.
/// </summary>
public sealed record RecordFeedback(Feedback.ProviderFeedback Feedback, Persistence.MessageRecord? Recalled, Reply<int> Reply) : RecipientCommand
{
    public override string ToString() => $"RecordFeedback({Feedback.Kind} of {Feedback.MessageId})";
}

/// <summary>Asks for the actor's current state (live, or loaded from storage if it was passivated).</summary>
public sealed record GetRecipientState(Reply<RecipientSnapshot> Reply) : RecipientCommand;

/// <summary>An operator suppresses the recipient by hand.</summary>
public sealed record SuppressRecipient(string By, string Note, Reply<SuppressionChange> Reply) : RecipientCommand;

/// <summary>An operator lifts a suppression; who and why are recorded.</summary>
public sealed record UnsuppressRecipient(string By, string Reason, Reply<SuppressionChange> Reply) : RecipientCommand;

/// <summary>The state of one recipient as of <paramref name="SequenceNr"/>.</summary>
public sealed record RecipientSnapshot(RecipientKey Key, RecipientState State, long SequenceNr);

/// <summary>What a suppression command did.</summary>
public enum SuppressionChange
{
    Suppressed,
    AlreadySuppressed,
    Unsuppressed,
    WasNotSuppressed,
}

/// <summary>Pure decisions: state, command and now in, events out. Nothing here touches storage.</summary>
public static class RecipientDecisions
{
    public static IReadOnlyList<IRecipientEvent> Suppress(RecipientState state, string by, string note, DateTimeOffset now) =>
        state.IsSuppressed ? [] : [new Suppressed(SuppressionReason.Operator, now, By: by, Note: note)];

    /// <summary>
    /// What a provider event means for the recipient. Permanent bounce, complaint and SMS opt-out suppress;
    /// <paramref name="transientBounceLimit"/> transient bounces in a row suppress; a delivery resets that streak (in
    /// <see cref="RecipientState.Apply"/>). A duplicate (same feedback id) gives nothing.
    /// </summary>
    public static IReadOnlyList<IRecipientEvent> Feedback(
        RecipientState state, Feedback.ProviderFeedback feedback, MessageRecord? recalled, int transientBounceLimit, DateTimeOffset now)
    {
        if (feedback.Kind == Engine.Feedback.FeedbackKind.OptedOut)
        {
            return state.IsSuppressed ? [] : [new Suppressed(SuppressionReason.OptedOut, feedback.At, feedback.MessageId, Note: feedback.Detail)];
        }

        var id = feedback.MessageId ?? throw new ArgumentException("Feedback about a message needs its message id.", nameof(feedback));
        var events = new List<IRecipientEvent>();
        if (state.Find(id) is null && recalled is not null)
        {
            events.Add(new MessageRecalled(id, ContractNames.CategoryOf(recalled.Category), ContractNames.StatusOf(recalled.Status, MessageStatus.Sent), recalled.AcceptedAt, now,
                recalled.ProviderMessageId, recalled.Opens, recalled.Clicks));
        }

        var entry = state.ApplyAll(events).Find(id);
        if (entry?.HasSeen(feedback.FeedbackId) == true)
        {
            return [];
        }

        var at = feedback.At;
        var fid = feedback.FeedbackId;
        switch (feedback.Kind)
        {
            case Engine.Feedback.FeedbackKind.Sent:
                if (entry is null || entry.ProviderMessageId is null || entry.Status is MessageStatus.Accepted or MessageStatus.Scheduled or MessageStatus.Unknown)
                {
                    events.Add(new Sent(id, feedback.ProviderMessageId ?? entry?.ProviderMessageId ?? "", at));
                }

                break;
            case Engine.Feedback.FeedbackKind.Delivered:
                events.Add(new Delivered(id, at, fid));
                break;
            case Engine.Feedback.FeedbackKind.Bounced when feedback.Bounce == BounceKind.Permanent:
                events.Add(new Bounced(id, BounceKind.Permanent, at, feedback.Detail, fid));
                if (!state.IsSuppressed)
                {
                    events.Add(new Suppressed(SuppressionReason.PermanentBounce, at, id, Note: feedback.Detail));
                }

                break;
            case Engine.Feedback.FeedbackKind.Bounced:
                events.Add(new Bounced(id, BounceKind.Transient, at, feedback.Detail, fid));
                if (!state.IsSuppressed && state.ConsecutiveTransientBounces + 1 >= transientBounceLimit)
                {
                    events.Add(new Suppressed(SuppressionReason.RepeatedTransientBounces, at, id,
                        Note: $"{transientBounceLimit} transient bounces in a row; the last: {feedback.Detail}"));
                }

                break;
            case Engine.Feedback.FeedbackKind.Complained:
                events.Add(new Complained(id, at, feedback.Detail, fid));
                if (!state.IsSuppressed)
                {
                    events.Add(new Suppressed(SuppressionReason.Complaint, at, id, Note: feedback.Detail));
                }

                break;
            case Engine.Feedback.FeedbackKind.Opened:
                events.Add(new Opened(id, at, fid));
                break;
            case Engine.Feedback.FeedbackKind.Clicked:
                events.Add(new Clicked(id, at, feedback.Detail, fid));
                break;
            case Engine.Feedback.FeedbackKind.Delayed:
                events.Add(new DeliveryDelayed(id, at, feedback.Detail ?? "Undetermined", fid));
                break;
            case Engine.Feedback.FeedbackKind.Failed:
                events.Add(new DeliveryFailed(id, at, feedback.Detail ?? "not delivered", fid));
                break;
        }

        return events;
    }

    public static IReadOnlyList<IRecipientEvent> Unsuppress(RecipientState state, string by, string reason, DateTimeOffset now) =>
        state.IsSuppressed ? [new Unsuppressed(by, reason, now)] : [];
}
