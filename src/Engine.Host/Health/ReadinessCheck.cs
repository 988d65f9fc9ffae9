using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Ses;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Persistence;
using Messaging.Engine.Ingest;
using Messaging.Engine.Reputation;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.Options;

namespace Messaging.Host.Health;

/// <summary>Asks each dependency whether the engine could work right now, and says which one cannot.</summary>
/// <remarks>
/// A provider that does not answer (SQS, SES) marks its check <c>degraded</c> but leaves the node ready: an outage of a
/// shared provider hits every node alike, and failing readiness would take them all out of the load balancer (and the
/// operator API with them) while the engine itself keeps retrying. Storage is the node's own: without it, 503.
/// </remarks>
internal sealed class ReadinessCheck(
    IAmazonSQS sqs, SesClient ses, IJournal journal, ReputationGuard reputation, EngineMetrics metrics, IOptions<IngestOptions> ingest,
    ProviderHealth providers)
{
    public const string Degraded = "degraded";

    public async Task<ReadinessReport> RunAsync(CancellationToken cancellationToken)
    {
        // Both providers are asked at once; each call reports its own failure as a value.
        var queuesCall = SqsErrors.TryAsync(ct => sqs.ListQueuesAsync(new ListQueuesRequest(), ct), cancellationToken);
        var accountCall = ses.GetAccountAsync(cancellationToken);
        var storageCall = CheckStorageAsync(cancellationToken);
        var queues = await queuesCall.ConfigureAwait(false);
        var account = await accountCall.ConfigureAwait(false);

        var checks = new List<ReadinessCheckResult>
        {
            queues.IsSuccess
                ? new("sqs", true, $"{queues.Value.QueueUrls?.Count ?? 0} queue(s) visible")
                : new("sqs", false, queues.Error.ToString(), Degraded),
            account.TryGetValue(out var quota, out var error)
                ? new("ses", quota.SendingEnabled, quota.SendingEnabled
                    ? $"quota known: {quota.MaxSendRate:0.##}/s, {quota.SentLast24Hours:0}/{quota.Max24HourSend:0} in 24 h"
                    : "sending is paused for the account")
                : new("ses", false, error.ToString(), Degraded),
            await storageCall.ConfigureAwait(false),
            Reputation(reputation.Status),
            Backlog(),
        };
        var ready = checks.TrueForAll(c => c.Ok || c.Attention == Degraded);
        // One snapshot: the status and the providers it reports must agree even if a provider changes meanwhile.
        var providerStatus = providers.Now();
        var status = !ready ? "unready" : checks.TrueForAll(c => c.Ok) && providerStatus.All(p => p.Up) ? "ready" : Degraded;
        return new ReadinessReport(ready, status, checks, providerStatus);
    }

    /// <summary>
    /// A paused category does not make the engine unready (the other category keeps flowing), but it is what an
    /// operator must see first: <see cref="ReadinessCheckResult.Attention"/> says paused or warning.
    /// </summary>
    private static ReadinessCheckResult Reputation(ReputationStatus status)
    {
        var paused = status.Pauses.Where(p => p.Paused).ToList();
        if (paused.Count > 0)
        {
            return new("reputation", true,
                string.Join("; ", paused.Select(p => $"{p.Category} email paused since {p.ChangedAt:u} by {p.ChangedBy}: {p.Reason}")), "paused");
        }

        if (status.Warnings.Count > 0)
        {
            return new("reputation", true, string.Join("; ", status.Warnings), "warning");
        }

        var account = status.Rates.FirstOrDefault();
        return new("reputation", true, account is null
            ? "no sends counted this hour"
            : $"this hour: {account.Sent} sent, {account.Bounces} hard bounces, {account.Complaints} complaints");
    }

    /// <summary>Request queues deeper than <see cref="IngestOptions.LaggingQueueDepth"/>: the engine keeps up, or says where it does not.</summary>
    private ReadinessCheckResult Backlog()
    {
        var depths = metrics.QueueDepthsNow();
        var requestQueues = ingest.Value.Queues.Select(q => q.Name).ToList();
        var lagging = requestQueues.Where(q => depths.GetValueOrDefault(q) > ingest.Value.LaggingQueueDepth).ToList();
        var detail = string.Join(", ", requestQueues.Select(q => depths.TryGetValue(q, out var d) ? $"{q}: {d}" : $"{q}: not measured yet"));
        return lagging.Count == 0
            ? new("queues", true, detail)
            : new("queues", true, $"{string.Join(", ", lagging)} over {ingest.Value.LaggingQueueDepth} messages ({detail})", "lagging");
    }

    private async Task<ReadinessCheckResult> CheckStorageAsync(CancellationToken cancellationToken)
    {
        try
        {
            await journal.CheckWritableAsync(cancellationToken).ConfigureAwait(false);
            return new("storage", true, $"{journal.Description}, takes writes");
        }
        catch (JournalStorageException e)
        {
            return new("storage", false, e.Message);
        }
    }
}

/// <summary>
/// The answer of <c>GET /health/ready</c>: <paramref name="Status"/> is <c>ready</c>, <c>degraded</c> (a provider is
/// down, or was at its last call; still ready) or <c>unready</c>; <paramref name="Providers"/> is each provider's health
/// from the engine's own calls, with the last failure and its reason.
/// </summary>
internal sealed record ReadinessReport(bool Ready, string Status, IReadOnlyList<ReadinessCheckResult> Checks, IReadOnlyList<ProviderStatus> Providers);

/// <summary>
/// One dependency's state; <paramref name="Attention"/> marks what needs an operator without making the node unready
/// (<c>paused</c>, <c>warning</c>, <c>lagging</c>, <c>degraded</c>).
/// </summary>
internal sealed record ReadinessCheckResult(string Name, bool Ok, string Detail, string? Attention = null);
