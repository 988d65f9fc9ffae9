using Akka;
using Akka.Streams.Dsl;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Queues;

/// <summary>
/// Deletes finished messages from one queue, ten to a <c>DeleteMessageBatch</c> (gathered for 20 ms, which Akka's scheduler
/// stretches to its next tick, <c>akka.scheduler.tick-duration</c>), and passes
/// each on once its delete was tried. An entry the batch could not delete is tried once more on its own; if that fails
/// too, the message reappears later and its consumer recognises it as a duplicate — never acted on twice.
/// </summary>
internal static partial class SqsDeleteFlow
{
    private static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(20);

    /// <param name="receiptOf">The message whose receipt is deleted.</param>
    public static Flow<T, T, NotUsed> Create<T>(IAmazonSQS sqs, string queueName, string queueUrl, Func<T, Message> receiptOf, ILogger logger) =>
        Flow.Create<T>()
            .GroupedWithin(SqsMessageViews.MaxBatchSize, Gather)
            .SelectAsync(2, async batch =>
            {
                try
                {
                    await DeleteAsync(sqs, queueName, queueUrl, batch.Select(receiptOf).ToList(), logger).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // Not an SQS answer (a fault of ours): the stream must go on; the messages come back as duplicates.
                    LogDeleteFaulted(logger, e, batch.Count(), queueName);
                }

                return batch;
            })
            .SelectMany(batch => batch);

    /// <summary>Deletes the messages (one batch call, then each failed entry once alone); never throws for SQS's answer.</summary>
    public static async Task DeleteAsync(IAmazonSQS sqs, string queueName, string queueUrl, IReadOnlyList<Message> messages, ILogger logger)
    {
        // Two receipts of one message (a duplicate receive) would make the batch invalid: keep the newest receipt, the
        // one SQS deletes with (an older one may be answered success without deleting).
        var entries = messages
            .GroupBy(m => m.MessageId)
            .Select(g => g.MaxBy(m => m.ApproximateReceiveCount)!)
            .Select(m => new DeleteMessageBatchRequestEntry(m.MessageId, m.ReceiptHandle))
            .ToList();
        var result = await BatchAsync(sqs, queueUrl, entries).ConfigureAwait(false);
        IEnumerable<DeleteMessageBatchRequestEntry> retry;
        if (result.TryGetValue(out var outcome, out var error))
        {
            var failed = outcome.Failed ?? [];
            retry = entries.Where(r => failed.Exists(f => f.Id == r.Id));
        }
        else
        {
            LogBatchDeleteFailed(logger, entries.Count, queueName, error.ToString());
            retry = entries;
        }

        foreach (var entry in retry)
        {
            var single = await BatchAsync(sqs, queueUrl, [entry]).ConfigureAwait(false);
            if (!single.TryGetValue(out var singleOutcome, out var singleError) || singleOutcome.Failed is not (null or []))
            {
                LogDeleteFailed(logger, entry.Id, queueName, singleError?.ToString() ?? Describe(singleOutcome!.Failed![0]));
            }
        }
    }

    private static Task<AwsResult<DeleteMessageBatchResponse>> BatchAsync(IAmazonSQS sqs, string queueUrl, List<DeleteMessageBatchRequestEntry> entries) =>
        // Not cancelled at shutdown: a delete that is skipped makes the message come back as a duplicate.
        SqsErrors.TryAsync(ct => sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest(queueUrl, entries), ct), CancellationToken.None);

    private static string Describe(BatchResultErrorEntry failure) =>
        $"{failure.Code}{(failure.SenderFault is true ? " (sender fault)" : string.Empty)}: {failure.Message}";

    [LoggerMessage(Level = LogLevel.Error, Message = "Deleting {Count} finished message(s) from {Queue} failed unexpectedly; they will come back and be recognised as duplicates")]
    private static partial void LogDeleteFaulted(ILogger logger, Exception exception, int count, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting {Count} finished message(s) from {Queue} failed ({Reason}); trying them one by one")]
    private static partial void LogBatchDeleteFailed(ILogger logger, int count, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete finished message {SqsMessageId} from {Queue} ({Reason}); it will come back and be recognised as a duplicate")]
    private static partial void LogDeleteFailed(ILogger logger, string sqsMessageId, string queue, string reason);
}
