using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Ingest;
using Messaging.Engine.Sending;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Feedback;

/// <summary>
/// Reads the feedback queue (SES and SMS events, via SNS or raw) and records each event with its recipient. An event
/// that cannot be read or tied to a message goes to the feedback dead-letter queue with the reason; one that says
/// nothing to record is logged; either way it is deleted. When storage fails, the event is left on the queue: it comes
/// back after the visibility timeout, and the queue's redrive policy moves it to the feedback DLQ if it keeps failing.
/// </summary>
internal sealed partial class FeedbackSource(
    IAmazonSQS sqs,
    QueueDirectory queues,
    FeedbackRecorder recorder,
    DeadLetterWriter deadLetters,
    FeedbackProgress progress,
    IOptions<IngestOptions> options,
    IOptions<SendingOptions> sending,
    TimeProvider timeProvider,
    EngineMetrics metrics,
    ILogger<FeedbackSource> logger) : IHostedService
{
    private BackgroundLoop? _loop;
    private string? _queueUrl;

    /// <summary>Events recorded so far (duplicates included), for tests and metrics.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    private long _recorded;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled || string.IsNullOrWhiteSpace(options.Value.FeedbackQueue))
        {
            if (sending.Value.ReconcileUnknownAfter is { } after)
            {
                LogReconcileWithoutFeedback(after);
            }

            return Task.CompletedTask;
        }

        _loop = new BackgroundLoop("feedback receiver", ReceiveOnceAsync, TimeSpan.Zero, TimeSpan.FromSeconds(30), timeProvider, logger);
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

    private async Task<bool> ReceiveOnceAsync(CancellationToken stopping)
    {
        var queue = options.Value.FeedbackQueue;
        _queueUrl ??= (await queues.UrlOfAsync(queue, stopping).ConfigureAwait(false)).Value;
        // Everything handled before this receive is recorded: an empty answer means the queue was drained as of now.
        var startedAt = timeProvider.GetUtcNow();
        var request = SqsMessageViews.ReceiveAll(_queueUrl, SqsMessageViews.MaxBatchSize, options.Value.WaitTime, options.Value.VisibilityTimeout);
        var answer = await SqsErrors.TryAsync(ct => sqs.ReceiveMessageAsync(request, ct), stopping).ConfigureAwait(false);
        metrics.ReceiveCalled(queue);
        // A failure throws here (with its classification) and the loop tries again after its backoff.
        var received = answer.Value.Messages ?? [];
        if (received.Count == 0)
        {
            progress.Drained(startedAt);
            return false;
        }

        var done = new List<DeleteMessageBatchRequestEntry>();
        foreach (var message in received)
        {
            if (await HandleAsync(queue, message, stopping).ConfigureAwait(false))
            {
                done.Add(new DeleteMessageBatchRequestEntry(message.MessageId, message.ReceiptHandle));
            }
        }

        if (done.Count > 0)
        {
            var entries = done.DistinctBy(r => r.Id).ToList();
            var deleted = await SqsErrors.TryAsync(ct => sqs.DeleteMessageBatchAsync(_queueUrl, entries, ct), stopping).ConfigureAwait(false);
            if (!deleted.IsSuccess)
            {
                // Recorded already: when they come back, they are recognised as duplicates.
                LogDeleteFailed(deleted.Error!.ToString());
            }
        }

        return true;
    }

    /// <summary>True when the message is finished with (recorded, ignored or dead-lettered) and may be deleted.</summary>
    private async Task<bool> HandleAsync(string queue, Message message, CancellationToken stopping)
    {
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting recorded feedback failed ({Error}); those events will be seen again as duplicates")]
    private partial void LogDeleteFailed(string error);
}
