using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Recipients;

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
