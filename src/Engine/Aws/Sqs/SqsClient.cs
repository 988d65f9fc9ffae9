using System.Text.Json.Serialization.Metadata;

namespace Messaging.Engine.Aws.Sqs;

/// <summary>
/// Amazon SQS over AWS JSON 1.0: the operations the engine uses, each returning a value or a
/// classified <see cref="ProviderError"/>. Batch calls report every entry's own outcome.
/// </summary>
public sealed class SqsClient(AwsJsonTransport transport)
{
    /// <summary>Most entries in one batch call.</summary>
    public const int MaxBatchSize = 10;

    /// <summary>Longest long poll SQS allows.</summary>
    public static readonly TimeSpan MaxWaitTime = TimeSpan.FromSeconds(20);

    private static readonly string[] AllAttributes = ["All"];

    /// <summary>Receives up to <paramref name="maxMessages"/> messages, with all system and message attributes.</summary>
    /// <param name="queueUrl">The queue.</param>
    /// <param name="maxMessages">1–10.</param>
    /// <param name="waitTime">Long-poll wait, 0–20 s.</param>
    /// <param name="visibilityTimeout">Visibility of the received messages; the queue's default when null.</param>
    /// <param name="cancellationToken">Cancels the receive.</param>
    public async Task<AwsResult<IReadOnlyList<SqsMessage>>> ReceiveMessagesAsync(
        string queueUrl,
        int maxMessages,
        TimeSpan waitTime,
        TimeSpan? visibilityTimeout,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, MaxBatchSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(waitTime, MaxWaitTime);
        var request = new ReceiveMessageRequest(
            queueUrl,
            maxMessages,
            (int)waitTime.TotalSeconds,
            visibilityTimeout is { } v ? Seconds(v) : null,
            AllAttributes, // The deprecated name, still honoured by SQS and the only one some compatible servers read.
            AllAttributes,
            AllAttributes,
            null);
        var result = await CallAsync("ReceiveMessage", request, SqsJsonContext.Default.ReceiveMessageRequest, SqsJsonContext.Default.ReceiveMessageResponse, waitTime, cancellationToken).ConfigureAwait(false);
        return result.Map<IReadOnlyList<SqsMessage>>(response => response.Messages ?? []);
    }

    /// <summary>Sends one message.</summary>
    public async Task<AwsResult<SqsSentMessage>> SendMessageAsync(string queueUrl, SqsOutgoingMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var request = new SendMessageRequest(queueUrl, message.Body, DelaySeconds(message), message.Attributes, message.MessageGroupId, message.DeduplicationId);
        var result = await CallAsync("SendMessage", request, SqsJsonContext.Default.SendMessageRequest, SqsJsonContext.Default.SendMessageResponse, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return result.Map<SqsSentMessage>(response => new SqsSentMessage(message.Id, response.MessageId, response.SequenceNumber));
    }

    /// <summary>Sends up to 10 messages; the result names each entry that failed.</summary>
    public async Task<AwsResult<SqsSendBatchResult>> SendMessageBatchAsync(string queueUrl, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken cancellationToken)
    {
        CheckBatch(messages);
        var entries = new SendMessageBatchEntry[messages.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var m = messages[i];
            entries[i] = new SendMessageBatchEntry(m.Id, m.Body, DelaySeconds(m), m.Attributes, m.MessageGroupId, m.DeduplicationId);
        }

        var result = await CallAsync("SendMessageBatch", new SendMessageBatchRequest(queueUrl, entries), SqsJsonContext.Default.SendMessageBatchRequest, SqsJsonContext.Default.SendMessageBatchResponse, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return result.Map(response => new SqsSendBatchResult(
            (response.Successful ?? []).Select(s => new SqsSentMessage(s.Id, s.MessageId, s.SequenceNumber)).ToArray(),
            Failures(response.Failed)));
    }

    /// <summary>Deletes up to 10 messages; the result names each entry that failed.</summary>
    public Task<AwsResult<SqsBatchResult>> DeleteMessageBatchAsync(string queueUrl, IReadOnlyList<SqsReceipt> receipts, CancellationToken cancellationToken)
    {
        CheckBatch(receipts);
        var entries = receipts.Select(r => new ReceiptEntry(r.Id, r.ReceiptHandle)).ToArray();
        return BatchAsync("DeleteMessageBatch", new DeleteMessageBatchRequest(queueUrl, entries), SqsJsonContext.Default.DeleteMessageBatchRequest, cancellationToken);
    }

    /// <summary>Changes one message's visibility timeout, counted from now.</summary>
    public async Task<AwsResult<bool>> ChangeMessageVisibilityAsync(string queueUrl, string receiptHandle, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        var request = new ChangeMessageVisibilityRequest(queueUrl, receiptHandle, Seconds(visibilityTimeout));
        var result = await CallAsync("ChangeMessageVisibility", request, SqsJsonContext.Default.ChangeMessageVisibilityRequest, SqsJsonContext.Default.EmptyResponse, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return result.Map(_ => true);
    }

    /// <summary>Changes up to 10 messages' visibility; the result names each entry that failed.</summary>
    public Task<AwsResult<SqsBatchResult>> ChangeMessageVisibilityBatchAsync(string queueUrl, IReadOnlyList<SqsVisibilityChange> changes, CancellationToken cancellationToken)
    {
        CheckBatch(changes);
        var entries = changes.Select(c => new VisibilityEntry(c.Id, c.ReceiptHandle, Seconds(c.VisibilityTimeout))).ToArray();
        return BatchAsync("ChangeMessageVisibilityBatch", new ChangeMessageVisibilityBatchRequest(queueUrl, entries), SqsJsonContext.Default.ChangeMessageVisibilityBatchRequest, cancellationToken);
    }

    /// <summary>The URL of a queue by name.</summary>
    public async Task<AwsResult<string>> GetQueueUrlAsync(string queueName, CancellationToken cancellationToken)
    {
        var result = await CallAsync("GetQueueUrl", new GetQueueUrlRequest(queueName), SqsJsonContext.Default.GetQueueUrlRequest, SqsJsonContext.Default.QueueUrlResponse, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return result.Map<string>(response => response.QueueUrl);
    }

    /// <summary>Queue attributes by name (<c>All</c> for every one). Values are strings, as on the wire.</summary>
    public async Task<AwsResult<IReadOnlyDictionary<string, string>>> GetQueueAttributesAsync(string queueUrl, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var result = await CallAsync("GetQueueAttributes", new GetQueueAttributesRequest(queueUrl, [.. names]), SqsJsonContext.Default.GetQueueAttributesRequest, SqsJsonContext.Default.QueueAttributesResponse, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return result.Map<IReadOnlyDictionary<string, string>>(response => response.Attributes ?? []);
    }

    /// <summary>Creates a queue (idempotent when the attributes match) and returns its URL.</summary>
    /// <param name="queueName">1–80 of <c>A–Z a–z 0–9 _ -</c>; FIFO names end in <c>.fifo</c>.</param>
    /// <param name="attributes">Queue attributes, all as strings (e.g. <c>RedrivePolicy</c> is a JSON document in a string).</param>
    /// <param name="tags">Cost-allocation tags.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<AwsResult<string>> CreateQueueAsync(
        string queueName,
        IReadOnlyDictionary<string, string>? attributes,
        IReadOnlyDictionary<string, string>? tags,
        CancellationToken cancellationToken)
    {
        var result = await CallAsync("CreateQueue", new CreateQueueRequest(queueName, attributes, tags), SqsJsonContext.Default.CreateQueueRequest, SqsJsonContext.Default.QueueUrlResponse, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return result.Map<string>(response => response.QueueUrl);
    }

    /// <summary>Sets queue attributes.</summary>
    public async Task<AwsResult<bool>> SetQueueAttributesAsync(string queueUrl, IReadOnlyDictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        var result = await CallAsync("SetQueueAttributes", new SetQueueAttributesRequest(queueUrl, attributes), SqsJsonContext.Default.SetQueueAttributesRequest, SqsJsonContext.Default.EmptyResponse, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return result.Map(_ => true);
    }

    /// <summary>Queue URLs, optionally by name prefix (first 1,000).</summary>
    public async Task<AwsResult<IReadOnlyList<string>>> ListQueuesAsync(string? prefix, CancellationToken cancellationToken)
    {
        var result = await CallAsync("ListQueues", new ListQueuesRequest(prefix, null), SqsJsonContext.Default.ListQueuesRequest, SqsJsonContext.Default.ListQueuesResponse, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return result.Map<IReadOnlyList<string>>(response => response.QueueUrls ?? []);
    }

    private async Task<AwsResult<SqsBatchResult>> BatchAsync<TRequest>(string operation, TRequest request, JsonTypeInfo<TRequest> requestType, CancellationToken cancellationToken)
    {
        var result = await CallAsync(operation, request, requestType, SqsJsonContext.Default.BatchResponse, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return result.Map(response => new SqsBatchResult((response.Successful ?? []).Select(s => s.Id).ToArray(), Failures(response.Failed)));
    }

    private Task<AwsResult<TResponse>> CallAsync<TRequest, TResponse>(
        string operation,
        TRequest request,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        TimeSpan extraWait,
        CancellationToken cancellationToken) =>
        transport.PostJson10Async(AwsService.Sqs, "AmazonSQS." + operation, request, requestType, responseType, extraWait, cancellationToken);

    private static SqsBatchEntryFailure[] Failures(BatchResultErrorEntry[]? failed) =>
        (failed ?? []).Select(f => new SqsBatchEntryFailure(f.Id, f.Code, f.Message, f.SenderFault)).ToArray();

    private static void CheckBatch<T>(IReadOnlyList<T> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count is 0 or > MaxBatchSize)
        {
            throw new ArgumentException($"A batch holds 1 to {MaxBatchSize} entries, not {entries.Count}.", nameof(entries));
        }
    }

    private static int? DelaySeconds(SqsOutgoingMessage message) => message.Delay is { } d ? Seconds(d) : null;

    private static int Seconds(TimeSpan span) => (int)Math.Ceiling(span.TotalSeconds);
}
