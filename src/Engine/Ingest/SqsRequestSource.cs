using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Ingest;

/// <summary>
/// Takes requests from the request queues: several long-polling receivers per queue, each asking SQS only for as many
/// requests as the queue's in-flight slots allow, so nothing waits past its visibility timeout unnoticed; a keeper
/// extends the visibility of requests held long (waiting for the send rate, or a slow provider).
/// </summary>
/// <remarks>
/// Shutdown: receiving stops first; requests in flight get <see cref="IngestOptions.ShutdownTimeout"/> to finish; any
/// still unfinished are released (made visible again at once) for another node or the next start. Nothing is lost:
/// a request is deleted only after its outcome is durable.
/// </remarks>
public sealed partial class SqsRequestSource(
    IAmazonSQS sqs,
    QueueDirectory queues,
    RequestProcessorFactory processorFactory,
    IOptions<IngestOptions> options,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory,
    EngineMetrics metrics) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<SqsRequestSource>();
    private readonly ConcurrentDictionary<long, InFlightRequest> _inFlight = new();
    private readonly CancellationTokenSource _abandon = new();
    private long _nextId;
    private long _received;
    private long _receiveCalls;
    private long _failedReceives;

    /// <summary>Requests received since start (a duplicate receive counts twice).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>ReceiveMessage calls made since start, empty and failed ones included (SQS bills each).</summary>
    public long ReceiveCalls => Interlocked.Read(ref _receiveCalls);

    /// <summary>Receive calls that failed (each retried by its receiver after a backoff) since start.</summary>
    public long FailedReceives => Interlocked.Read(ref _failedReceives);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ingest = options.Value;
        if (!ingest.Enabled)
        {
            return;
        }

        var lanes = await OpenLanesAsync(ingest, stoppingToken).ConfigureAwait(false);
        if (lanes is null)
        {
            return;
        }

        var processor = processorFactory.Create();
        var loopLogger = loggerFactory.CreateLogger<BackgroundLoop>();
        var pollers = lanes
            .SelectMany(lane => Enumerable.Range(0, lane.Pollers).Select(i => new BackgroundLoop(
                $"receiver {i + 1} of {lane.Name}", ct => PollOnceAsync(lane, processor, ct),
                TimeSpan.Zero, TimeSpan.FromSeconds(10), timeProvider, loopLogger)))
            .ToList();
        var keeper = new BackgroundLoop(
            "visibility keeper", ExtendVisibilityAsync, KeeperInterval(ingest), TimeSpan.FromSeconds(10), timeProvider, loopLogger);
        pollers.ForEach(p => p.Start());
        keeper.Start();
        LogStarted(string.Join(", ", lanes.Select(l => $"{l.Name} (priority {l.Priority}, {l.Pollers} receivers)")));

        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, timeProvider, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        foreach (var poller in pollers)
        {
            await poller.DisposeAsync().ConfigureAwait(false);
        }

        await DrainAsync(ingest.ShutdownTimeout).ConfigureAwait(false);
        await keeper.DisposeAsync().ConfigureAwait(false);
        foreach (var lane in lanes)
        {
            await lane.DisposeAsync().ConfigureAwait(false);
        }

        LogStopped(Received, ReceiveCalls);
    }

    private async Task<List<RequestLane>?> OpenLanesAsync(IngestOptions ingest, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var lanes = new List<RequestLane>();
            string? problem = null;
            foreach (var queue in ingest.Queues.OrderBy(q => q.Priority))
            {
                var url = await queues.UrlOfAsync(queue.Name, stoppingToken).ConfigureAwait(false);
                if (!url.TryGetValue(out var queueUrl, out var error))
                {
                    problem = $"{queue.Name}: {error}";
                    break;
                }

                // Read once: the engine decides a request on the receive before the last one SQS allows (see RequestLane).
                var maxReceives = await queues.MaxReceiveCountAsync(queueUrl, stoppingToken).ConfigureAwait(false);
                if (!maxReceives.TryGetValue(out var maxReceiveCount, out error))
                {
                    problem = $"{queue.Name}: {error}";
                    break;
                }

                lanes.Add(new RequestLane(queue, queueUrl, new SqsAcknowledger(sqs, queueUrl, _logger), maxReceiveCount));
            }

            if (problem is null)
            {
                return lanes;
            }

            foreach (var lane in lanes)
            {
                await lane.DisposeAsync().ConfigureAwait(false);
            }

            LogQueueUnavailable(problem, backoff.TotalSeconds);
            try
            {
                await Task.Delay(backoff, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return null;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }

        return null;
    }

    private async Task<bool> PollOnceAsync(RequestLane lane, RequestProcessor processor, CancellationToken stopping)
    {
        var slots = await lane.TakeSlotsAsync(SqsMessageViews.MaxBatchSize, stopping).ConfigureAwait(false);
        List<Message> messages;
        try
        {
            var request = SqsMessageViews.ReceiveAll(lane.Url, slots, options.Value.WaitTime, options.Value.VisibilityTimeout);
            var received = await SqsErrors.TryAsync(ct => sqs.ReceiveMessageAsync(request, ct), stopping).ConfigureAwait(false);
            Interlocked.Increment(ref _receiveCalls);
            metrics.ReceiveCalled(lane.Name);
            if (!received.TryGetValue(out var response, out var error))
            {
                Interlocked.Increment(ref _failedReceives);
                // Classified, then retried by the loop after its backoff: the receive loop never stops on a provider error.
                throw new InvalidOperationException($"Receiving from {lane.Name} failed: {error}");
            }

            messages = response.Messages ?? [];
        }
        catch
        {
            lane.ReleaseSlots(slots);
            throw;
        }

        lane.ReleaseSlots(slots - messages.Count);
        metrics.RequestsReceived(lane.Name, messages.Count);
        var now = timeProvider.GetUtcNow();
        foreach (var message in messages)
        {
            Interlocked.Increment(ref _received);
            var id = Interlocked.Increment(ref _nextId);
            var request = new InFlightRequest(lane, message, now, now + options.Value.VisibilityTimeout);
            // Added before its work starts, so the work's own removal always finds it. The work starts here, in
            // receive order, and runs synchronously until it has posted to its recipient's actor: a FIFO group's
            // requests reach the actor in the order SQS gave them.
            _inFlight[id] = request;
            request.Work = WorkAsync(id, request, processor);
        }

        return messages.Count > 0;
    }

    private async Task WorkAsync(long id, InFlightRequest request, RequestProcessor processor)
    {
        try
        {
            await processor.ProcessAsync(request, _abandon.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            // Shutdown ran out of time; DrainAsync releases it.
        }
        catch (Exception e)
        {
            // Not settled: the request reappears when its visibility ends and is tried again.
            LogProcessingFailed(e, request.Message.MessageId, request.Lane.Name);
            request.Settled = true;
        }
        finally
        {
            if (_inFlight.TryRemove(id, out _))
            {
                request.Lane.ReleaseSlots(1);
            }
        }
    }

    private async Task<bool> ExtendVisibilityAsync(CancellationToken stopping)
    {
        var now = timeProvider.GetUtcNow();
        var timeout = options.Value.VisibilityTimeout;
        var due = _inFlight.Values
            .Where(r => !r.Settled && r.VisibleAt - now < timeout / 2 && now - r.ReceivedAt < TimeSpan.FromHours(11))
            .GroupBy(r => r.Lane);
        foreach (var lane in due)
        {
            foreach (var chunk in lane.Chunk(SqsMessageViews.MaxBatchSize))
            {
                var changes = chunk.Select((r, i) => new ChangeMessageVisibilityBatchRequestEntry($"v{i}", r.Message.ReceiptHandle)
                {
                    VisibilityTimeout = SqsMessageViews.Seconds(timeout),
                }).ToList();
                var result = await SqsErrors.TryAsync(
                    ct => sqs.ChangeMessageVisibilityBatchAsync(lane.Key.Url, changes, ct), stopping).ConfigureAwait(false);
                if (!result.TryGetValue(out var outcome, out var error))
                {
                    throw new InvalidOperationException($"Extending visibility on {lane.Key.Name} failed: {error}");
                }

                for (var i = 0; i < chunk.Length; i++)
                {
                    if (outcome.Successful?.Exists(e => e.Id == $"v{i}") is true)
                    {
                        chunk[i].VisibleAt = now + timeout;
                    }
                }
            }
        }

        return false;
    }

    private async Task DrainAsync(TimeSpan timeout)
    {
        var working = _inFlight.Values.Select(v => v.Work).ToList();
        try
        {
            await Task.WhenAll(working).WaitAsync(timeout, timeProvider).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException)
        {
            LogDrainTimedOut(_inFlight.Count, timeout.TotalSeconds);
        }

        var unfinished = _inFlight.Values.Where(r => !r.Settled).ToList();
        await _abandon.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(working).ConfigureAwait(false);
        foreach (var request in unfinished)
        {
            // Visible again at once, for another node or the next start; its recipient's journal knows what was done.
            var released = await SqsErrors.TryAsync(
                ct => sqs.ChangeMessageVisibilityAsync(request.Lane.Url, request.Message.ReceiptHandle, 0, ct), CancellationToken.None).ConfigureAwait(false);
            if (!released.IsSuccess)
            {
                LogReleaseFailed(request.Message.MessageId, request.Lane.Name, released.Error!.ToString());
            }
        }
    }

    private static TimeSpan KeeperInterval(IngestOptions ingest) =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, ingest.VisibilityTimeout.Ticks / 4));

    public override void Dispose()
    {
        _abandon.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Taking requests from {Queues}")]
    private partial void LogStarted(string queues);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped taking requests; {Received} received in {ReceiveCalls} receive calls since start")]
    private partial void LogStopped(long received, long receiveCalls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request queue not available ({Problem}); trying again in {Seconds} s (run 'engine init' to create the queues)")]
    private partial void LogQueueUnavailable(string problem, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Processing SQS message {SqsMessageId} from {Queue} failed; it will reappear and be retried")]
    private partial void LogProcessingFailed(Exception exception, string sqsMessageId, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not give SQS message {SqsMessageId} back to {Queue} at shutdown ({Reason}); it reappears when its visibility timeout ends")]
    private partial void LogReleaseFailed(string sqsMessageId, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} request(s) still in flight after {Seconds} s of shutdown; releasing them to the queue")]
    private partial void LogDrainTimedOut(int count, double seconds);
}
