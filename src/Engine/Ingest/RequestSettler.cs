using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Ingest;

/// <summary>
/// Carries out a <see cref="RequestSettlement"/> on the request's queue — the SQS calls, kept out of the decisions.
/// Answers whether the received message is now to be deleted (deletes are batched downstream). A call that fails
/// leaves the request where SQS will show it again: sooner than planned at worst, never lost.
/// </summary>
internal sealed partial class RequestSettler(
    IAmazonSQS sqs, DeadLetterWriter deadLetters, TimeProvider timeProvider, EngineMetrics metrics, ILogger<RequestSettler> logger)
{
    /// <summary>SQS counts a message's 12-hour visibility limit from its receive; stay safely inside it.</summary>
    private static readonly TimeSpan LongestHide = TimeSpan.FromHours(11);

    /// <summary>SQS's longest per-message delay.</summary>
    private static readonly TimeSpan LongestMessageDelay = TimeSpan.FromMinutes(15);

    /// <summary>True when the received message is to be deleted now.</summary>
    /// <remarks>Never cancelled: a settlement started at shutdown is finished, or its request would wait out its visibility.</remarks>
    public async Task<bool> SettleAsync(ReceivedRequest received, RequestSettlement settlement)
    {
        switch (settlement)
        {
            case RequestSettlement.Delete:
                return true;
            case RequestSettlement.Hide hide:
                await HideAsync(received, hide.Delay).ConfigureAwait(false);
                return false;
            case RequestSettlement.Release:
                await HideAsync(received, TimeSpan.Zero).ConfigureAwait(false);
                return false;
            case RequestSettlement.Copy copy:
                return await CopyAsync(received, copy).ConfigureAwait(false);
            case RequestSettlement.DeadLetter dead:
                return await DeadLetterAsync(received, dead.Reason).ConfigureAwait(false);
            case RequestSettlement.Leave:
                return false;
            default:
                throw new InvalidOperationException($"Unhandled settlement {settlement} for SQS message {received.Message.MessageId}.");
        }
    }

    /// <summary>
    /// Extends the visibility of requests still being worked on, ten to a call per queue; throws when a call fails
    /// (the keeper tries again at its next tick, well before the visibility ends). A request whose settlement began
    /// meanwhile is left out, and its settlement waits for an extension already on its way.
    /// </summary>
    public async Task ExtendAsync(IReadOnlyList<ReceivedRequest> due, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        var begun = new List<(ReceivedRequest Request, TaskCompletionSource Done)>(due.Count);
        foreach (var request in due)
        {
            if (request.TryBeginExtension(out var done))
            {
                begun.Add((request, done!));
            }
        }

        try
        {
            var now = timeProvider.GetUtcNow();
            foreach (var (queue, chunk) in BatchesByQueue(begun.ConvertAll(b => b.Request)))
            {
                var outcome = await ChangeVisibilityAsync(queue, chunk, visibilityTimeout, cancellationToken).ConfigureAwait(false);
                if (!outcome.TryGetValue(out var changed, out var error))
                {
                    throw new InvalidOperationException($"Extending visibility on {queue.Name} failed: {error}");
                }

                for (var i = 0; i < chunk.Length; i++)
                {
                    if (changed.Successful?.Exists(e => e.Id == $"v{i}") is true)
                    {
                        chunk[i].VisibleAt = now + visibilityTimeout;
                    }
                }
            }
        }
        finally
        {
            foreach (var (_, done) in begun)
            {
                done.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Makes requests visible again at once, ten to a call per queue, once any extension of theirs already on its way
    /// has returned (shutdown gives back what it did not finish).
    /// </summary>
    public async Task ReleaseAsync(IReadOnlyList<(ReceivedRequest Request, Task Extension)> given)
    {
        await Task.WhenAll(given.Select(g => g.Extension)).ConfigureAwait(false);
        foreach (var (queue, chunk) in BatchesByQueue(given.Select(g => g.Request).ToList()))
        {
            var outcome = await ChangeVisibilityAsync(queue, chunk, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            var failed = outcome.TryGetValue(out var changed, out var error)
                ? chunk.Where((_, i) => changed.Successful?.Exists(e => e.Id == $"v{i}") is not true)
                : chunk;
            foreach (var request in failed)
            {
                LogReleaseFailed(request.Message.MessageId, queue.Name, error?.ToString() ?? "refused in the batch");
            }
        }
    }

    private static IEnumerable<(RequestQueue Queue, ReceivedRequest[] Chunk)> BatchesByQueue(IReadOnlyList<ReceivedRequest> requests) =>
        requests.GroupBy(r => r.Queue).SelectMany(g => g.Chunk(SqsMessageViews.MaxBatchSize).Select(chunk => (g.Key, chunk)));

    private Task<AwsResult<ChangeMessageVisibilityBatchResponse>> ChangeVisibilityAsync(
        RequestQueue queue, ReceivedRequest[] chunk, TimeSpan visibility, CancellationToken cancellationToken)
    {
        var entries = chunk.Select((r, i) => new ChangeMessageVisibilityBatchRequestEntry($"v{i}", r.Message.ReceiptHandle)
        {
            VisibilityTimeout = SqsMessageViews.Seconds(visibility),
        }).ToList();
        return SqsErrors.TryAsync(ct => sqs.ChangeMessageVisibilityBatchAsync(queue.Url, entries, ct), cancellationToken);
    }

    private async Task<bool> CopyAsync(ReceivedRequest received, RequestSettlement.Copy copy)
    {
        var attributes = received.Message.MessageAttributes;
        if (copy.Attribute is { } added)
        {
            attributes = new Dictionary<string, MessageAttributeValue>(attributes ?? []) { [added.Key] = added.Value };
        }

        var delay = copy.Delay < TimeSpan.Zero ? TimeSpan.Zero : copy.Delay > LongestMessageDelay ? LongestMessageDelay : copy.Delay;
        var sent = await SqsErrors.TryAsync(ct => sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = received.Queue.Url,
            MessageBody = received.Message.Body,
            MessageAttributes = attributes,
            DelaySeconds = SqsMessageViews.Seconds(delay),
        }, ct), CancellationToken.None).ConfigureAwait(false);
        if (!sent.IsSuccess)
        {
            LogCopyFailed(received.Message.MessageId, sent.Error!.ToString());
            await HideAsync(received, copy.Delay).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    private async Task HideAsync(ReceivedRequest received, TimeSpan delay)
    {
        var visibility = delay < TimeSpan.Zero ? TimeSpan.Zero : delay > LongestHide ? LongestHide : delay;
        var changed = await SqsErrors.TryAsync(
            ct => sqs.ChangeMessageVisibilityAsync(received.Queue.Url, received.Message.ReceiptHandle, SqsMessageViews.Seconds(visibility), ct),
            CancellationToken.None).ConfigureAwait(false);
        if (!changed.IsSuccess)
        {
            // The request reappears at its current visibility instead: sooner or later than planned, never lost.
            LogHideFailed(received.Message.MessageId, changed.Error!.ToString());
        }
    }

    private async Task<bool> DeadLetterAsync(ReceivedRequest received, DeadLetterReason reason)
    {
        var sent = await deadLetters.SendAsync(
            received.Queue.Name, received.Message, reason, timeProvider.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        if (!sent.IsSuccess)
        {
            // Not deleted: the request comes back and is dead-lettered again (the queue's redrive policy is the backstop).
            LogDeadLetterFailed(reason.MessageId, sent.Error!.ToString());
            return false;
        }

        // Counted only once it is written: a failed write is not a dead letter.
        metrics.DeadLettered(received.Queue.Name);
        LogDeadLettered(reason.MessageId, received.Queue.Name, reason.Error);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not give SQS message {SqsMessageId} back to {Queue} at shutdown ({Reason}); it reappears when its visibility timeout ends")]
    private partial void LogReleaseFailed(string sqsMessageId, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {MessageId} went to the dead-letter queue from {Queue}: {Reason}")]
    private partial void LogDeadLettered(string? messageId, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {MessageId} could not be written to the dead-letter queue ({Reason}); it stays on its queue")]
    private partial void LogDeadLetterFailed(string? messageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not change the visibility of SQS message {SqsMessageId} ({Reason}); it reappears at its current visibility")]
    private partial void LogHideFailed(string sqsMessageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Putting request {SqsMessageId} back as a fresh copy failed ({Reason}); it is hidden on its queue instead")]
    private partial void LogCopyFailed(string sqsMessageId, string reason);
}
