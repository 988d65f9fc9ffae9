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
/// nothing to record is logged; either way it is deleted. An event whose provider message id no <c>Sent</c> has recorded
/// yet is hidden on the queue and looked at again until <see cref="CorrelationGrace"/> gives it up. When storage fails,
/// the event is left on the queue: it comes back after the visibility timeout, and the queue's redrive policy moves it
/// to the feedback DLQ if it keeps failing.
/// The queue is read by a <see cref="FeedbackGraph"/> for the life of the host, drained on shutdown.
/// </summary>
internal sealed partial class FeedbackSource(
    IServiceProvider services,
    IAmazonSQS sqs,
    QueueDirectory queues,
    FeedbackRecorder recorder,
    CorrelationGrace correlationGrace,
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
    private long _awaitingSent;

    /// <summary>Events recorded so far (duplicates included), for tests and metrics.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    /// <summary>Times an event was put back on the queue to wait for the <c>Sent</c> that ties it, for tests and metrics.</summary>
    public long AwaitingSent => Interlocked.Read(ref _awaitingSent);

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

        var feedbackQueue = new FeedbackQueue(ingest.FeedbackQueue, queueUrl, await MaxReceivesAsync(queueUrl, stoppingToken).ConfigureAwait(false));
        var settings = new QueueReceiveSettings(ingest.FeedbackQueue, queueUrl, Receivers, ingest.WaitTime, ingest.VisibilityTimeout);
        var receive = new SqsReceiveSource(sqs, settings, metrics, loggerFactory.CreateLogger<SqsReceiveSource>(), timeProvider);
        var graph = new FeedbackGraph(sqs, settings, receive, progress, timeProvider, _logger);
        var system = services.GetRequiredService<ActorSystem>();
        using var materializer = system.Materializer(namePrefix: "feedback");
        var completion = graph.Run((message, stopping) => HandleAsync(feedbackQueue, message, stopping), materializer, _stopReceiving.Token, _abandon.Token);
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

    /// <summary>The feedback queue's redrive limit, so that an event waiting for its <c>Sent</c> is given up, with its reason, before SQS moves it.</summary>
    private async Task<int?> MaxReceivesAsync(string queueUrl, CancellationToken stoppingToken)
    {
        var read = await queues.MaxReceiveCountAsync(queueUrl, stoppingToken).ConfigureAwait(false);
        if (read.TryGetValue(out var maxReceives, out var error))
        {
            return maxReceives;
        }

        LogRedriveUnknown(options.Value.FeedbackQueue, error.ToString(), QueueDirectory.FeedbackMaxReceives);
        return QueueDirectory.FeedbackMaxReceives;
    }

    /// <summary>True when the message is finished with (recorded, ignored or dead-lettered) and may be deleted.</summary>
    private async Task<bool> HandleAsync(FeedbackQueue feedbackQueue, Message message, CancellationToken stopping)
    {
        var queue = feedbackQueue.Name;
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
                    case FeedbackOutcome.AwaitingSent awaiting:
                        return await AwaitSentAsync(feedbackQueue, message, awaiting.Reason, now, stopping).ConfigureAwait(false);
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

    /// <summary>
    /// Hides an event that no <c>Sent</c> has tied yet for a while, not deleted, so that it comes back; once its grace
    /// is over it is dead-lettered with how long it waited. False while it waits (it stays on the queue).
    /// </summary>
    private async Task<bool> AwaitSentAsync(FeedbackQueue feedbackQueue, Message message, string reason, DateTimeOffset now, CancellationToken stopping)
    {
        switch (correlationGrace.Judge(message, feedbackQueue.MaxReceives))
        {
            case CorrelationWait.GiveUp giveUp:
                return await DeadLetterAsync(feedbackQueue.Name, message, $"uncorrelated feedback: {reason}; {giveUp.Why}", now, stopping).ConfigureAwait(false);
            case CorrelationWait.Later later:
                Interlocked.Increment(ref _awaitingSent);
                var hidden = await SqsErrors.TryAsync(
                    ct => sqs.ChangeMessageVisibilityAsync(feedbackQueue.Url, message.ReceiptHandle, SqsMessageViews.Seconds(later.HideFor), ct), stopping)
                    .ConfigureAwait(false);
                if (hidden.IsSuccess)
                {
                    LogAwaitingSent(message.MessageId, reason, later.Waited.TotalSeconds, later.HideFor.TotalSeconds);
                }
                else
                {
                    LogHideFailed(message.MessageId, reason, hidden.Error!.ToString());
                }

                return false;
            default:
                throw new InvalidOperationException($"Unknown correlation wait for feedback message {message.MessageId}.");
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

    /// <summary>The feedback queue as this source reads it: its name, URL and redrive limit (null: no redrive policy).</summary>
    private sealed record FeedbackQueue(string Name, string Url, int? MaxReceives);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending:ReconcileUnknownAfter is {After} but no feedback queue is read: " +
        "a send recorded unknown is never sent again, because only a drained feedback queue proves no Send event is coming")]
    private partial void LogReconcileWithoutFeedback(TimeSpan after);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Feedback {Kind} for message {MessageId} recorded with {Recipient} ({Events} events)")]
    private partial void LogRecorded(FeedbackKind kind, string? messageId, string recipient, int events);

    [LoggerMessage(Level = LogLevel.Information, Message = "Feedback message {SqsMessageId} has nothing to record: {What}")]
    private partial void LogIgnored(string sqsMessageId, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feedback message {SqsMessageId} went to the feedback dead-letter queue: {Reason}")]
    private partial void LogDeadLettered(string sqsMessageId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Feedback message {SqsMessageId} waits for the Sent that ties it ({Reason}); " +
        "waited {WaitedSeconds} s, looked at again in {HideSeconds} s")]
    private partial void LogAwaitingSent(string sqsMessageId, string reason, double waitedSeconds, double hideSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feedback message {SqsMessageId} waits for the Sent that ties it ({Reason}), but hiding it failed ({Error}); " +
        "it comes back after its visibility timeout")]
    private partial void LogHideFailed(string sqsMessageId, string reason, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The redrive policy of feedback queue {Queue} could not be read ({Error}); " +
        "an event waiting for its Sent is given up by its receive count as if the limit were {Assumed}")]
    private partial void LogRedriveUnknown(string queue, string error, int assumed);

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
