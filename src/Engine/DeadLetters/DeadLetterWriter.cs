using System.Globalization;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Contracts.Validation;
using Messaging.Engine.Aws;
using Messaging.Engine.Ingest;

namespace Messaging.Engine.DeadLetters;

/// <summary>Why a request went to the dead-letter queue: what an operator needs to fix it and redrive it.</summary>
public sealed record DeadLetterReason(string Error, int Attempts, DateTimeOffset? FirstFailureAt, string? MessageId);

/// <summary>
/// Copies a request to the dead-letter queue, body unchanged, with message attributes saying what went wrong, how
/// many attempts were made, when the first failed and which queue it came from. The caller deletes the original only
/// after this succeeded, so a request is never in neither queue. A body too large to travel with those attributes is
/// kept in <see cref="DeadLetterBodyStore"/> and the DLQ message carries a reference (<see cref="StoredBodyAttribute"/>).
/// </summary>
public sealed class DeadLetterWriter(IAmazonSQS sqs, QueueDirectory queues, DeadLetterBodyStore bodies)
{
    public const string ErrorAttribute = "error";
    public const string AttemptsAttribute = "attempts";
    public const string FirstFailureAttribute = "firstFailureAt";
    public const string SourceQueueAttribute = "sourceQueue";
    public const string MessageIdAttribute = "messageId";
    public const string DeadLetteredAtAttribute = "deadLetteredAt";

    /// <summary>On a request sent back from the DLQ: who redrove it (the engine then tries a dead-lettered message again).</summary>
    public const string RedrivenByAttribute = "redrivenBy";

    /// <summary>On a DLQ message whose body is kept in the engine's store: the id it is kept under.</summary>
    public const string StoredBodyAttribute = "storedBody";

    /// <summary>SQS attribute values are generous, but an error text longer than this is cut (its start says what it is).</summary>
    private const int MaxErrorLength = 4_000;

    public async Task<AwsResult<SendMessageResponse>> SendAsync(
        string sourceQueue, Message original, DeadLetterReason reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var dlqName = queues.DeadLetterQueueFor(sourceQueue);
        var url = await queues.UrlOfAsync(dlqName, cancellationToken).ConfigureAwait(false);
        if (!url.TryGetValue(out var dlqUrl, out var error))
        {
            return AwsResult<SendMessageResponse>.Failure(error);
        }

        var attributes = new Dictionary<string, MessageAttributeValue>
        {
            [ErrorAttribute] = MessageAttributeValue.String(reason.Error.Length > MaxErrorLength ? reason.Error[..MaxErrorLength] + "…" : reason.Error),
            [AttemptsAttribute] = MessageAttributeValue.Number(reason.Attempts),
            [SourceQueueAttribute] = MessageAttributeValue.String(sourceQueue),
            [DeadLetteredAtAttribute] = MessageAttributeValue.String(now.ToString("O", CultureInfo.InvariantCulture)),
        };
        if (reason.FirstFailureAt is { } first)
        {
            attributes[FirstFailureAttribute] = MessageAttributeValue.String(first.ToString("O", CultureInfo.InvariantCulture));
        }

        if (reason.MessageId is { } messageId)
        {
            attributes[MessageIdAttribute] = MessageAttributeValue.String(messageId);
        }

        var body = original.Body;
        if (!Fits(body, attributes))
        {
            var id = await bodies.SaveAsync(body, now, cancellationToken).ConfigureAwait(false);
            attributes[StoredBodyAttribute] = MessageAttributeValue.String(id);
            body = $$"""{"storedBody":"{{id}}","bytes":{{Encoding.UTF8.GetByteCount(original.Body)}},"note":"the original body is kept in the engine's store; engine dlq peek shows it and redrive sends it back"}""";
        }

        var fifo = QueueDirectory.IsFifo(dlqName);
        var request = new SendMessageRequest
        {
            QueueUrl = dlqUrl,
            MessageBody = body,
            MessageAttributes = attributes,
            MessageGroupId = fifo ? original.MessageGroupId ?? "dead-letters" : null,
            MessageDeduplicationId = fifo ? original.MessageId : null,
        };
        return await SqsErrors.TryAsync(ct => sqs.SendMessageAsync(request, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when a message with this body and these attributes is within SQS's size limit.</summary>
    public static bool Fits(string body, IReadOnlyDictionary<string, MessageAttributeValue>? attributes)
    {
        long size = Encoding.UTF8.GetByteCount(body);
        foreach (var (name, attribute) in attributes ?? new Dictionary<string, MessageAttributeValue>())
        {
            size += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(attribute.DataType)
                + Encoding.UTF8.GetByteCount(attribute.StringValue ?? "") + (attribute.BinaryValue?.Length ?? 0L);
        }

        // SQS's limit on a message (the largest request it carries): body, attribute names, types and values together.
        return size < RequestReader.MaxBodyBytes;
    }
}
