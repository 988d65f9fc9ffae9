using System.Threading.Channels;
using Messaging.Engine.Aws.Sqs;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Ingest;

/// <summary>
/// Deletes finished requests from one queue, ten to a call. An entry the batch could not delete is tried once more on
/// its own; if that fails too, the request reappears later and is recognised as a duplicate — never sent twice.
/// </summary>
internal sealed partial class SqsAcknowledger : IAsyncDisposable
{
    private readonly Channel<SqsReceipt> _pending = Channel.CreateBounded<SqsReceipt>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly SqsClient _sqs;
    private readonly string _queueUrl;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private long _deleted;

    public SqsAcknowledger(SqsClient sqs, string queueUrl, ILogger logger)
    {
        _sqs = sqs;
        _queueUrl = queueUrl;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public long Deleted => Interlocked.Read(ref _deleted);

    public ValueTask AckAsync(SqsMessage message, CancellationToken cancellationToken) =>
        _pending.Writer.WriteAsync(new SqsReceipt(message.MessageId, message.ReceiptHandle), cancellationToken);

    private async Task RunAsync()
    {
        var batch = new List<SqsReceipt>(SqsClient.MaxBatchSize);
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < SqsClient.MaxBatchSize && _pending.Reader.TryRead(out var receipt))
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

    private async Task DeleteAsync(List<SqsReceipt> batch)
    {
        var result = await _sqs.DeleteMessageBatchAsync(_queueUrl, batch, CancellationToken.None).ConfigureAwait(false);
        IEnumerable<SqsReceipt> retry;
        if (result.TryGetValue(out var outcome, out var error))
        {
            Interlocked.Add(ref _deleted, outcome.Succeeded.Count);
            retry = batch.Where(r => outcome.Failed.Any(f => f.Id == r.Id));
        }
        else
        {
            LogBatchDeleteFailed(batch.Count, error.ToString());
            retry = batch;
        }

        foreach (var receipt in retry)
        {
            var single = await _sqs.DeleteMessageBatchAsync(_queueUrl, [receipt], CancellationToken.None).ConfigureAwait(false);
            if (single.TryGetValue(out var singleOutcome, out var singleError) && singleOutcome.Failed.Count == 0)
            {
                Interlocked.Increment(ref _deleted);
            }
            else
            {
                LogDeleteFailed(receipt.Id, singleError?.ToString() ?? singleOutcome!.Failed[0].ToString());
            }
        }
    }

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
