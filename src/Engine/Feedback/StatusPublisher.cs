using Akka.Actor;
using Akka.Streams;
using Amazon.SQS;
using Messaging.Engine.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Feedback;

/// <summary>
/// Publishes <c>MessageStatusChanged</c> events from the outbox to <see cref="IngestOptions.StatusQueue"/>, ten to a
/// call, oldest first; runs only when a status queue is configured. An event is deleted from the outbox only after
/// SQS took it: at least once, in the order each node claims them. The publishing is a <see cref="StatusGraph"/>,
/// run for the life of the host and drained on shutdown.
/// </summary>
internal sealed partial class StatusPublisher(
    IServiceProvider services, StatusOutbox outbox, IAmazonSQS sqs, QueueDirectory queues, IOptions<IngestOptions> options,
    TimeProvider timeProvider, ILogger<StatusPublisher> logger) : BackgroundService
{
    private readonly CancellationTokenSource _stopping = new();
    private StatusGraph? _graph;

    /// <summary>Status events published by this node so far.</summary>
    public long Published => _graph?.Published ?? 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = options.Value.StatusQueueName;
        if (queue is null)
        {
            return;
        }

        var queueUrl = await QueueUrlWait.UntilFoundAsync(queues, queue, timeProvider, (problem, seconds) => LogQueueUnavailable(queue, problem, seconds), stoppingToken)
            .ConfigureAwait(false);
        if (queueUrl is null)
        {
            return;
        }

        var graph = _graph = new StatusGraph(outbox, sqs, queue, queueUrl, timeProvider, logger);
        using var materializer = services.GetRequiredService<ActorSystem>().Materializer(namePrefix: "status-publisher");
        var completion = graph.Run(materializer, _stopping.Token);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, timeProvider, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        // No new claims; what was claimed is published and deleted (an SQS call or a claim is short).
        graph.Claiming.Shutdown();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await completion.WaitAsync(options.Value.ShutdownTimeout, timeProvider).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Nothing is lost: what was claimed and not deleted is published again once its claim expires.
            LogDrainFailed(e);
        }
    }

    public override void Dispose()
    {
        _stopping.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Status queue {Queue} not available ({Problem}); trying again in {Seconds} s (run 'engine init' to create the queues)")]
    private partial void LogQueueUnavailable(string queue, string problem, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The status publisher did not finish within the shutdown timeout; what it claimed is published again once its claim expires")]
    private partial void LogDrainFailed(Exception exception);
}
