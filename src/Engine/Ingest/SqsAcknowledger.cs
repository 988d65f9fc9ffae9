using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Ingest;

/// <summary>
/// Deletes finished requests from one queue, ten to a call. An entry the batch could not delete is tried once more on
/// its own; if that fails too, the request reappears later and is recognised as a duplicate — never sent twice.
/// </summary>
internal sealed partial class SqsAcknowledger : IAsyncDisposable
{
    private readonly Channel<DeleteMessageBatchRequestEntry> _pending = Channel.CreateBounded<DeleteMessageBatchRequestEntry>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly IAmazonSQS _sqs;
    private readonly string _queueUrl;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private long _deleted;

    public SqsAcknowledger(IAmazonSQS sqs, string queueUrl, ILogger logger)
    {
        _sqs = sqs;
        _queueUrl = queueUrl;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public long Deleted => Interlocked.Read(ref _deleted);

    public ValueTask AckAsync(Message message, CancellationToken cancellationToken) =>
        _pending.Writer.WriteAsync(new DeleteMessageBatchRequestEntry { Id = message.MessageId, ReceiptHandle = message.ReceiptHandle }, cancellationToken);

    private async Task RunAsync()
    {
        var batch = new List<DeleteMessageBatchRequestEntry>(SqsMessageViews.MaxBatchSize);
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < SqsMessageViews.MaxBatchSize && _pending.Reader.TryRead(out var receipt))
            {
                // Two receipts of one message (a duplicate receive) would make the batch invalid: keep the first.
                if (!batch.Exists(r => r.Id == receipt.Id))
                {
                    batch.Add(receipt);
                }
            }

            await DeleteAsync(batch).ConfigureAwait(false);
        }
    }

    private Task<AwsResult<DeleteMessageBatchResponse>> DeleteBatchAsync(List<DeleteMessageBatchRequestEntry> entries) =>
        SqsErrors.TryAsync(ct => _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest(_queueUrl, entries), ct), CancellationToken.None);

    private async Task DeleteAsync(List<DeleteMessageBatchRequestEntry> batch)
    {
        var result = await DeleteBatchAsync(batch).ConfigureAwait(false);
        IEnumerable<DeleteMessageBatchRequestEntry> retry;
        if (result.TryGetValue(out var outcome, out var error))
        {
            var failed = outcome.Failed ?? [];
            Interlocked.Add(ref _deleted, outcome.Successful?.Count ?? 0);
            retry = batch.Where(r => failed.Exists(f => f.Id == r.Id));
        }
        else
        {
            LogBatchDeleteFailed(batch.Count, error.ToString());
            retry = batch;
        }

        foreach (var receipt in retry)
        {
            var single = await DeleteBatchAsync([receipt]).ConfigureAwait(false);
            if (single.TryGetValue(out var singleOutcome, out var singleError) && singleOutcome.Failed is null or [])
            {
                Interlocked.Increment(ref _deleted);
            }
            else
            {
                LogDeleteFailed(receipt.Id, singleError?.ToString() ?? Describe(singleOutcome!.Failed![0]));
            }
        }
    }

    private static string Describe(BatchResultErrorEntry failure) =>
        $"{failure.Code}{(failure.SenderFault is true ? " (sender fault)" : string.Empty)}: {failure.Message}";

    /// <summary>Deletes everything queued so far, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting {Count} finished requests failed ({Reason}); trying them one by one")]
    private partial void LogBatchDeleteFailed(int count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete finished request {SqsMessageId} ({Reason}); it will come back and be recognised as a duplicate")]
    private partial void LogDeleteFailed(string sqsMessageId, string reason);
}
