using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Ses;
using Messaging.Engine.Aws.Sqs;
using Messaging.Engine.Persistence;

namespace Messaging.Host.Health;

/// <summary>Asks each dependency whether the engine could work right now, and says which one cannot.</summary>
internal sealed class ReadinessCheck(SqsClient sqs, SesClient ses, IJournal journal)
{
    public async Task<ReadinessReport> RunAsync(CancellationToken cancellationToken)
    {
        // Both providers are asked at once; each call reports its own failure as a value.
        var queuesCall = sqs.ListQueuesAsync(null, cancellationToken);
        var accountCall = ses.GetAccountAsync(cancellationToken);
        var storageCall = CheckStorageAsync(cancellationToken);
        var queues = await queuesCall.ConfigureAwait(false);
        var account = await accountCall.ConfigureAwait(false);

        var checks = new List<ReadinessCheckResult>
        {
            queues.IsSuccess
                ? new("sqs", true, $"{queues.Value.Count} queue(s) visible")
                : new("sqs", false, queues.Error.ToString()),
            account.TryGetValue(out var quota, out var error)
                ? new("ses", quota.SendingEnabled, quota.SendingEnabled
                    ? $"quota known: {quota.MaxSendRate:0.##}/s, {quota.SentLast24Hours:0}/{quota.Max24HourSend:0} in 24 h"
                    : "sending is paused for the account")
                : new("ses", false, error.ToString()),
            await storageCall.ConfigureAwait(false),
        };
        return new ReadinessReport(checks.TrueForAll(c => c.Ok), checks);
    }

    private async Task<ReadinessCheckResult> CheckStorageAsync(CancellationToken cancellationToken)
    {
        try
        {
            await journal.ReadHighestSequenceNrAsync("readiness-probe", cancellationToken).ConfigureAwait(false);
            return new("storage", true, journal.Description);
        }
        catch (JournalStorageException e)
        {
            return new("storage", false, e.Message);
        }
    }
}

/// <summary>The answer of <c>GET /health/ready</c>.</summary>
internal sealed record ReadinessReport(bool Ready, IReadOnlyList<ReadinessCheckResult> Checks);

/// <summary>One dependency's state.</summary>
internal sealed record ReadinessCheckResult(string Name, bool Ok, string Detail);
