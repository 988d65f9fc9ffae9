using Akka.Actor;
using Akka.Streams;
using Amazon.SQS;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Queues;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Sending;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Ingest;

/// <summary>
/// Runs the request ingest graph (<see cref="RequestIngestGraph"/>) for the life of the host, once the request queues
/// can be found, and drains it on shutdown.
/// </summary>
/// <remarks>
/// Draining: receiving stops (the long polls are given up and the kill switch closes), requests received but not yet
/// begun are given back at once (visible again, for another node or the next start), and those being worked on get
/// <see cref="IngestOptions.ShutdownTimeout"/> to finish; any still unfinished then are abandoned (their entities are
/// told) and given back. Nothing is lost: a request is deleted only after its outcome is durable. The host stops this
/// service before the actor system, so the entities are there to finish; if the actor system shuts down first (the
/// node was downed), its CoordinatedShutdown drains ingest before the entities stop.
/// </remarks>
public sealed partial class RequestIngest(
    IServiceProvider services,
    IAmazonSQS sqs,
    QueueDirectory queues,
    RecipientRegion recipients,
    DeadLetterWriter deadLetters,
    IOptions<IngestOptions> options,
    IOptions<SendingOptions> sending,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory,
    EngineMetrics metrics) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<RequestIngest>();
    private readonly InFlightRequests _inFlight = new();
    private readonly CancellationTokenSource _stopReceiving = new();
    private readonly CancellationTokenSource _abandon = new();
    private List<SqsReceiveSource> _receives = [];
    private int _draining;

    /// <summary>How long the requests still being decided get to settle as released once shutdown gives up on them.</summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(10);

    /// <summary>Requests received since start (a duplicate receive counts twice).</summary>
    public long Received => _receives.Sum(r => r.Received);

    /// <summary>ReceiveMessage calls made since start, empty and failed ones included (SQS bills each).</summary>
    public long ReceiveCalls => _receives.Sum(r => r.ReceiveCalls);

    /// <summary>Receive calls that failed (each followed by a backoff of its receiver) since start.</summary>
    public long FailedReceives => _receives.Sum(r => r.FailedReceives);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ingest = options.Value;
        if (!ingest.Enabled)
        {
            return;
        }

        var opened = await OpenQueuesAsync(ingest, stoppingToken).ConfigureAwait(false);
        if (opened is null)
        {
            return;
        }

        var system = services.GetRequiredService<ActorSystem>();
        var receiveLogger = loggerFactory.CreateLogger<SqsReceiveSource>();
        var withReceives = opened
            .Select(q => (q, new SqsReceiveSource(sqs, new QueueReceiveSettings(q.Name, q.Url, q.Receivers, ingest.WaitTime, ingest.VisibilityTimeout), metrics, receiveLogger, timeProvider)))
            .ToList();
        _receives = withReceives.Select(q => q.Item2).ToList();
        // One settler for the graph's settlements and the drain's give-backs.
        var settler = new RequestSettler(sqs, deadLetters, timeProvider, metrics, loggerFactory.CreateLogger<RequestSettler>());
        var graph = new RequestIngestGraph(
            withReceives,
            new RequestProcessor(recipients, sending, timeProvider, loggerFactory.CreateLogger<RequestProcessor>(), metrics),
            settler,
            _inFlight, ingest, timeProvider, _logger, sqs, metrics);
        using var materializer = system.Materializer(namePrefix: "request-ingest");
        var completion = graph.Run(materializer, _stopReceiving.Token, _abandon.Token);
        WatchForAnUnexpectedEnd(completion);
        // A node that is downed shuts its actor system down by itself: ingest drains before the entities stop.
        var drain = new ShutdownDrain(() => DrainOnceAsync(graph, settler, completion, ingest.ShutdownTimeout));
        drain.RunAtCoordinatedShutdown(system, "drain-request-ingest");
        LogStarted(string.Join(", ", opened.Select(q => $"{q.Name} (priority {q.Priority}, {q.Receivers} receivers)")));

        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, timeProvider, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        await drain.RunAsync().ConfigureAwait(false);
        LogStopped(Received, ReceiveCalls);
    }

    private async Task DrainOnceAsync(RequestIngestGraph graph, RequestSettler settler, Task completion, TimeSpan timeout)
    {
        Volatile.Write(ref _draining, 1);
        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        graph.Receiving.Shutdown();
        // Received but never begun: they would only wait; another node or the next start takes them now.
        await ReleaseAsync(settler, _inFlight.GiveBack(evenIfStarted: false)).ConfigureAwait(false);

        try
        {
            await completion.WaitAsync(timeout, timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogDrainTimedOut(_inFlight.Count, timeout.TotalSeconds);
            // Each request still asked about is told to its entity and settles as released.
            await _abandon.CancelAsync().ConfigureAwait(false);
            try
            {
                await completion.WaitAsync(AbandonGrace, timeProvider).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogGraphFailed(e);
            }
        }
        catch (Exception e)
        {
            LogGraphFailed(e);
        }

        // Anything the graph did not settle (it stopped early, or never answered) is given back, not left to its visibility.
        await ReleaseAsync(settler, _inFlight.GiveBack(evenIfStarted: true)).ConfigureAwait(false);
        graph.Keeping.Shutdown();
    }

    /// <summary>The graph ends only when drained: if it ends otherwise, ingest has stopped and the host must not run on without it.</summary>
    private void WatchForAnUnexpectedEnd(Task completion) =>
        completion.ContinueWith(
            ended =>
            {
                if (Volatile.Read(ref _draining) == 0)
                {
                    LogGraphStopped(ended.Exception?.GetBaseException());
                    // Resolved here: the ingest runs only inside a host, but compositions without one still build it.
                    services.GetService<IHostApplicationLifetime>()?.StopApplication();
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task ReleaseAsync(RequestSettler settler, IReadOnlyList<(ReceivedRequest Request, Task Extension)> given)
    {
        if (given.Count == 0)
        {
            return;
        }

        await settler.ReleaseAsync(given).ConfigureAwait(false);
        foreach (var (request, _) in given)
        {
            _inFlight.Remove(request);
        }
    }

    private async Task<List<RequestQueue>?> OpenQueuesAsync(IngestOptions ingest, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var opened = new List<RequestQueue>();
            string? problem = null;
            foreach (var queue in ingest.Queues.OrderBy(q => q.Priority))
            {
                var url = await queues.UrlOfAsync(queue.Name, stoppingToken).ConfigureAwait(false);
                if (!url.TryGetValue(out var queueUrl, out var error))
                {
                    problem = $"{queue.Name}: {error}";
                    break;
                }

                // Read once: the engine decides a request on the receive before the last one SQS allows (see RequestQueue).
                var maxReceives = await queues.MaxReceiveCountAsync(queueUrl, stoppingToken).ConfigureAwait(false);
                if (!maxReceives.TryGetValue(out var maxReceiveCount, out error))
                {
                    problem = $"{queue.Name}: {error}";
                    break;
                }

                opened.Add(new RequestQueue(queue, queueUrl, maxReceiveCount));
            }

            if (problem is null)
            {
                return opened;
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

    public override void Dispose()
    {
        _stopReceiving.Dispose();
        _abandon.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Taking requests from {Queues}")]
    private partial void LogStarted(string queues);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped taking requests; {Received} received in {ReceiveCalls} receive calls since start")]
    private partial void LogStopped(long received, long receiveCalls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request queue not available ({Problem}); trying again in {Seconds} s (run 'engine init' to create the queues)")]
    private partial void LogQueueUnavailable(string problem, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} request(s) still in flight after {Seconds} s of shutdown; releasing them to the queue")]
    private partial void LogDrainTimedOut(int count, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The request ingest graph failed while draining; what it had not settled is given back to the queues")]
    private partial void LogGraphFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The request ingest graph stopped while the engine runs; the host stops so that a supervisor starts it again")]
    private partial void LogGraphStopped(Exception? exception);
}
