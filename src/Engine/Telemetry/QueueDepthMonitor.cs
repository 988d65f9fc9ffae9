using System.Globalization;
using Messaging.Engine.Ingest;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Telemetry;

/// <summary>
/// Asks SQS every 15 s how many messages each of the engine's queues holds, for the queue-depth gauge. (SQS does not
/// report the age of the oldest message through its API; that figure lives in CloudWatch.)
/// </summary>
internal sealed class QueueDepthMonitor(
    QueueDirectory queues, IOptions<IngestOptions> options, EngineMetrics metrics, TimeProvider timeProvider,
    ILogger<QueueDepthMonitor> logger) : IHostedService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);
    private static readonly string[] Counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"];

    private BackgroundLoop? _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = new BackgroundLoop("queue depth monitor", async stopping =>
        {
            await MeasureAsync(stopping).ConfigureAwait(false);
            return false;
        }, Interval, TimeSpan.FromMinutes(1), timeProvider, logger);
        _loop.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _loop, null) is { } loop)
        {
            await loop.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads every queue's depth once; a queue that cannot be read keeps its last value.</summary>
    public async Task MeasureAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var names = o.Queues.Select(q => q.Name)
            .Concat(o.Queues.Select(q => queues.DeadLetterQueueFor(q.Name)))
            .Append(o.FeedbackQueue).Append(o.FeedbackDeadLetterQueue)
            .Distinct(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var url = await queues.UrlOfAsync(name, cancellationToken).ConfigureAwait(false);
            if (!url.IsSuccess)
            {
                continue;
            }

            var attributes = await queues.AttributesAsync(url.Value, [.. Counts], cancellationToken).ConfigureAwait(false);
            if (attributes.IsSuccess)
            {
                metrics.QueueDepth(name, attributes.Value.Values.Sum(v => long.Parse(v, CultureInfo.InvariantCulture)));
            }
        }
    }
}
