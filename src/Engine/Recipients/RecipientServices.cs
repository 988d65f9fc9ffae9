using Messaging.Engine.Feedback;
using Messaging.Engine.Reputation;
using Messaging.Engine.Sending;
using Messaging.Engine.Throttling;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Recipients;

/// <summary>What every recipient actor uses, shared by all of them.</summary>
public sealed class RecipientServices(
    RecipientJournal journal,
    MessageRenderer renderer,
    ProviderSender sender,
    SendThrottles throttles,
    IOptions<SendingOptions> sending,
    TimeProvider timeProvider,
    ReputationGuard reputation,
    ReputationCounter reputationCounts,
    FeedbackProgress feedbackProgress)
{
    /// <summary>Whether a category is paused for the account's reputation.</summary>
    public ReputationGuard Reputation { get; } = reputation;

    /// <summary>Where sends are counted for the bounce and complaint rates.</summary>
    public ReputationCounter ReputationCounts { get; } = reputationCounts;

    public RecipientJournal Journal { get; } = journal;

    public MessageRenderer Renderer { get; } = renderer;

    public ProviderSender Sender { get; } = sender;

    public SendThrottles Throttles { get; } = throttles;

    public SendingOptions Sending { get; } = sending.Value;

    public TimeProvider Time { get; } = timeProvider;

    /// <summary>How far the feedback queue has been read: a resend after <c>unknown</c> waits until it is caught up.</summary>
    public FeedbackProgress FeedbackProgress { get; } = feedbackProgress;
}
