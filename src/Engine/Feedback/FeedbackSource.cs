using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Ingest;
using Messaging.Engine.Sending;
using Messaging.Engine.Telemetry;
using Akka.Actor;
using Akka.Streams;
using Messaging.Engine.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Feedback;

/// <summary>
/// Reads the feedback queue (SES and SMS events, via SNS or raw) and records each event with its recipient. An event
/// that cannot be read or tied to a message goes to the feedback dead-letter queue with the reason; one that says
/// nothing to record is logged; either way it is deleted. When storage fails, the event is left on the queue: it comes
/// back after the visibility timeout, and the queue's redrive policy moves it to the feedback DLQ if it keeps failing.
/// The queue is read by a <see cref="FeedbackGraph"/> for the life of the host, drained on shutdown.
/// </summary>
internal sealed partial class FeedbackSource(
    IServiceProvider services,
    IAmazonSQS sqs,
    QueueDirectory queues,
    FeedbackRecorder recorder,
    DeadLetterWriter deadLetters,
    FeedbackProgress progress,
    IOptions<IngestOptions> options,
    IOptions<SendingOptions> sending,
    TimeProvider timeProvider,
    EngineMetrics metrics,
    ILoggerFactory loggerFactory) : BackgroundService
{
    // One long poll at a time, as handling runs beside it: a second receiver could take an event an empty receive of
    // the first missed, which would break what an empty receive proves (see FeedbackInProgress).
    private const int Receivers = 1;

    private readonly ILogger _logger = loggerFactory.CreateLogger<FeedbackSource>();
    private readonly CancellationTokenSource _stopReceiving = new();
    private readonly CancellationTokenSource _abandon = new();
    private long _recorded;

    /// <summary>Events recorded so far (duplicates included), for tests and metrics.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ingest = options.Value;
        if (!ingest.Enabled || string.IsNullOrWhiteSpace(ingest.FeedbackQueue))
        {
            if (sending.Value.ReconcileUnknownAfter is { } after)
            {
                LogReconcileWithoutFeedback(after);
            }

            return;
        }

        var queueUrl = await QueueUrlWait.UntilFoundAsync(
            queues, ingest.FeedbackQueue, timeProvider, (problem, seconds) => LogQueueUnavailable(ingest.FeedbackQueue, problem, seconds), stoppingToken).ConfigureAwait(false);
        if (queueUrl is null)
        {
            return;
        }

        var settings = new QueueReceiveSettings(ingest.FeedbackQueue, queueUrl, Receivers, ingest.WaitTime, ingest.VisibilityTimeout);
        var receive = new SqsReceiveSource(sqs, settings, metrics, loggerFactory.CreateLogger<SqsReceiveSource>());
        var graph = new FeedbackGraph(sqs, settings, receive, progress, timeProvider, _logger);
        var system = services.GetRequiredService<ActorSystem>();
        using var materializer = system.Materializer(namePrefix: "feedback");
        var completion = graph.Run(HandleAsync, materializer, _stopReceiving.Token, _abandon.Token);
        // A downed node shuts its actor system down by itself: feedback drains before the entities that record it stop.
        var drain = new ShutdownDrain(() => DrainOnceAsync(graph, completion, ingest.ShutdownTimeout));
        drain.RunAtCoordinatedShutdown(system, "drain-feedback");

        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, timeProvider, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        await drain.RunAsync().ConfigureAwait(false);
        LogStopped(receive.Received, receive.ReceiveCalls);
    }

    private async Task DrainOnceAsync(FeedbackGraph graph, Task completion, TimeSpan timeout)
    {
        await _stopReceiving.CancelAsync().ConfigureAwait(false);
        graph.Receiving.Shutdown();
        try
        {
            await completion.WaitAsync(timeout, timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // What is still being recorded is given up: it was not deleted, so it comes back to this node or another.
            LogDrainTimedOut(timeout.TotalSeconds);
            await _abandon.CancelAsync().ConfigureAwait(false);
            await completion.WaitAsync(TimeSpan.FromSeconds(10), timeProvider).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Nothing is lost: a message is deleted only after it was finished with; the rest comes back.
            LogGraphFailed(e);
        }
    }

    public override void Dispose()
    {
        _stopReceiving.Dispose();
        _abandon.Dispose();
        base.Dispose();
    }

    /// <summary>True when the message is finished with (recorded, ignored or dead-lettered) and may be deleted.</summary>
    private async Task<bool> HandleAsync(Message message, CancellationToken stopping)
    {
        var queue = options.Value.FeedbackQueue;
        var now = timeProvider.GetUtcNow();
        var read = FeedbackReader.Read(message.Body, now);
        if (read.Problem is { } problem)
        {
            return await DeadLetterAsync(queue, message, $"unreadable feedback: {problem}", now, stopping).ConfigureAwait(false);
        }

        if (read.Ignored is { } ignored)
        {
            LogIgnored(message.MessageId, ignored);
            return true;
        }

        try
        {
            foreach (var feedback in read.Events)
            {
                switch (await recorder.RecordAsync(feedback, stopping).ConfigureAwait(false))
                {
                    case FeedbackOutcome.Uncorrelated uncorrelated:
                        return await DeadLetterAsync(queue, message, $"uncorrelated feedback: {uncorrelated.Reason}", now, stopping).ConfigureAwait(false);
                    case FeedbackOutcome.Recorded recorded:
                        Interlocked.Increment(ref _recorded);
                        LogRecorded(feedback.Kind, recorded.MessageId, recorded.Recipient.ToString(), recorded.Events);
                        break;
                }
            }

            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            LogRecordFailed(e, message.MessageId);
            return false;
        }
    }

    private async Task<bool> DeadLetterAsync(string queue, Message message, string reason, DateTimeOffset now, CancellationToken stopping)
    {
        var sent = await deadLetters.SendAsync(queue, message, new DeadLetterReason(reason, message.ApproximateReceiveCount, null, null), now, stopping)
            .ConfigureAwait(false);
        if (!sent.IsSuccess)
        {
            LogDeadLetterFailed(message.MessageId, sent.Error!.ToString());
            return false;
        }

        LogDeadLettered(message.MessageId, reason);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending:ReconcileUnknownAfter is {After} but no feedback queue is read: " +
        "a send recorded unknown is never sent again, because only a drained feedback queue proves no Send event is coming")]
    private partial void LogReconcileWithoutFeedback(TimeSpan after);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Feedback {Kind} for message {MessageId} recorded with {Recipient} ({Events} events)")]
    private partial void LogRecorded(FeedbackKind kind, string? messageId, string recipient, int events);

    [LoggerMessage(Level = LogLevel.Information, Message = "Feedback message {SqsMessageId} has nothing to record: {What}")]
    private partial void LogIgnored(string sqsMessageId, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feedback message {SqsMessageId} went to the feedback dead-letter queue: {Reason}")]
    private partial void LogDeadLettered(string sqsMessageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording feedback message {SqsMessageId} failed; it stays on the queue and comes back")]
    private partial void LogRecordFailed(Exception exception, string sqsMessageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Feedback message {SqsMessageId} could not be dead-lettered ({Error}); it stays on the queue")]
    private partial void LogDeadLetterFailed(string sqsMessageId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped reading feedback; {Received} received in {ReceiveCalls} receive calls since start")]
    private partial void LogStopped(long received, long receiveCalls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feedback queue {Queue} not available ({Problem}); trying again in {Seconds} s (run 'engine init' to create the queues)")]
    private partial void LogQueueUnavailable(string queue, string problem, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feedback still being recorded after {Seconds} s of shutdown; what is unfinished stays on the queue")]
    private partial void LogDrainTimedOut(double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The feedback graph failed while draining; what it had not finished stays on the queue and comes back")]
    private partial void LogGraphFailed(Exception exception);
}
