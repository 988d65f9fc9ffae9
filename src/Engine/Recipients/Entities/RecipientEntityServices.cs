using Messaging.Engine.Feedback;
using Messaging.Engine.Ingest;
using Messaging.Engine.Persistence;
using Messaging.Engine.Reputation;
using Messaging.Engine.Sending;
using Messaging.Engine.Throttling;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>What every recipient entity uses, shared by all of them.</summary>
public sealed class RecipientEntityServices(
    MessageRenderer renderer,
    SendGate sends,
    SendThrottles throttles,
    IOptions<SendingOptions> sending,
    IOptions<JournalOptions> journal,
    TimeProvider timeProvider,
    ReputationGuard reputation,
    ReputationCounter reputationCounts,
    FeedbackProgress feedbackProgress,
    IOptions<IngestOptions>? ingest = null)
{
    public MessageRenderer Renderer { get; } = renderer;

    /// <summary>Where sends go out, each in its channel's 1-second window.</summary>
    public SendGate Sends { get; } = sends;

    public SendThrottles Throttles { get; } = throttles;

    public SendingOptions Sending { get; } = sending.Value;

    public TimeProvider Time { get; } = timeProvider;

    /// <summary>Whether a category is paused for the account's reputation.</summary>
    public ReputationGuard Reputation { get; } = reputation;

    /// <summary>Where sends are counted for the bounce and complaint rates.</summary>
    public ReputationCounter ReputationCounts { get; } = reputationCounts;

    /// <summary>How far the feedback queue has been read: a resend after <c>unknown</c> waits until it is caught up.</summary>
    public FeedbackProgress FeedbackProgress { get; } = feedbackProgress;

    /// <summary>A snapshot every this many events.</summary>
    public int SnapshotEvery { get; } = journal.Value.SnapshotEvery;

    /// <summary>Status events go to the outbox only when there is a status queue to publish them to.</summary>
    public bool PublishStatus { get; } = ingest?.Value.StatusQueueName is not null;
}
