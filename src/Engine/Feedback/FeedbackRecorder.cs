using Akka.Actor;
using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Reputation;

namespace Messaging.Engine.Feedback;

/// <summary>What became of one provider event.</summary>
public abstract record FeedbackOutcome
{
    private FeedbackOutcome() { }

    /// <summary>Recorded in the recipient's journal (<paramref name="Events"/> is 0 for a duplicate).</summary>
    public sealed record Recorded(RecipientKey Recipient, string? MessageId, int Events) : FeedbackOutcome;

    /// <summary>It cannot be tied to any message of this engine: it belongs in the feedback dead-letter queue.</summary>
    public sealed record Uncorrelated(string Reason) : FeedbackOutcome;

    /// <summary>
    /// It names only a provider message id that no <c>Sent</c> has recorded yet. The provider's answer may still be on
    /// its way to the journal, so this is not final: the event waits on its queue (<see cref="CorrelationGrace"/>).
    /// </summary>
    public sealed record AwaitingSent(string Reason) : FeedbackOutcome;
}

/// <summary>
/// Ties a provider event to the engine's message and hands it to that message's recipient entity (through the shard region). The message id from
/// the event's tag, context or header is looked up in the <c>messages</c> table (claimed before the provider is called,
/// so a miss is final); without one, the provider's message id is — which only the <c>Sent</c> record writes, so a miss
/// there may be an event that overtook it (<see cref="FeedbackOutcome.AwaitingSent"/>). The table's recipient is the
/// authority: it is the actor that sent the message.
/// </summary>
public sealed class FeedbackRecorder(IJournal journal, RecipientRegion recipients, ReputationCounter reputation)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    /// <exception cref="JournalStorageException">Storage failed: leave the event on its queue to be tried again.</exception>
    public async Task<FeedbackOutcome> RecordAsync(ProviderFeedback feedback, CancellationToken cancellationToken)
    {
        if (feedback.Kind == FeedbackKind.OptedOut)
        {
            if (!RecipientKey.TryParse($"sms:{feedback.Recipient}", out var number))
            {
                return new FeedbackOutcome.Uncorrelated($"the opt-out comes from '{feedback.Recipient}', which is not an E.164 number");
            }

            var written = await recipients.ActorRef.Ask<int>(new RecordProviderFeedback(number, feedback, null), AskTimeout, cancellationToken)
                .ConfigureAwait(false);
            return new FeedbackOutcome.Recorded(number, null, written);
        }

        MessageRecord? row = null;
        if (feedback.MessageId is { } messageId)
        {
            row = await journal.FindMessageAsync(messageId, cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                return new FeedbackOutcome.Uncorrelated($"message '{messageId}' (from the event's messageId tag, context or X-Correlation-ID header) is not known to this engine");
            }
        }
        else if (feedback.ProviderMessageId is { } providerId)
        {
            row = await journal.FindMessageByProviderIdAsync(providerId, cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                return new FeedbackOutcome.AwaitingSent($"the event has no messageId tag, context or X-Correlation-ID header, and provider message id '{providerId}' is not known to this engine");
            }
        }
        else
        {
            return new FeedbackOutcome.Uncorrelated("the event names neither the engine's messageId nor a provider message id");
        }

        if (!RecipientKey.TryParse(row.RecipientKey, out var key) || key.Channel != feedback.Channel)
        {
            return new FeedbackOutcome.Uncorrelated(
                $"message '{row.MessageId}' went to {row.RecipientKey}, but this is {(feedback.Channel == Channel.Email ? "an email" : "an SMS")} event");
        }

        var correlated = feedback with { MessageId = row.MessageId };
        var events = await recipients.ActorRef.Ask<int>(new RecordProviderFeedback(key, correlated, row), AskTimeout, cancellationToken)
            .ConfigureAwait(false);
        if (events > 0 && feedback.Channel == Channel.Email)
        {
            // Counted once: a duplicate writes no events. Hard bounces only, as AWS counts its bounce rate.
            if (feedback is { Kind: FeedbackKind.Bounced, Bounce: Recipients.Events.BounceKind.Permanent })
            {
                reputation.CountBounce(feedback.ConfigurationSet);
            }
            else if (feedback.Kind == FeedbackKind.Complained)
            {
                reputation.CountComplaint(feedback.ConfigurationSet);
            }
        }

        return new FeedbackOutcome.Recorded(key, row.MessageId, events);
    }
}
