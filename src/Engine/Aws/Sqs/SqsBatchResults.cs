namespace Messaging.Engine.Aws.Sqs;

/// <summary>One entry of a batch call that failed. Each entry stands alone: the others may have succeeded.</summary>
/// <param name="Id">The entry's id in the request.</param>
/// <param name="Code">The SQS error code.</param>
/// <param name="Message">The SQS message.</param>
/// <param name="SenderFault">True when the entry itself is wrong; false when SQS failed and a retry may work.</param>
public sealed record SqsBatchEntryFailure(string Id, string Code, string? Message, bool SenderFault)
{
    /// <summary>Retry only what SQS says was its own fault.</summary>
    public ProviderErrorKind Kind => SenderFault ? ProviderErrorKind.Permanent : ProviderErrorKind.Transient;
}

/// <summary>The outcome of a delete or change-visibility batch, entry by entry.</summary>
/// <param name="Succeeded">Ids of entries that succeeded.</param>
/// <param name="Failed">Entries that failed, with why.</param>
public sealed record SqsBatchResult(IReadOnlyList<string> Succeeded, IReadOnlyList<SqsBatchEntryFailure> Failed);

/// <summary>A message SQS accepted.</summary>
/// <param name="Id">The entry's id in the request.</param>
/// <param name="MessageId">SQS's id for the new message.</param>
/// <param name="SequenceNumber">FIFO sequence number.</param>
public sealed record SqsSentMessage(string Id, string MessageId, string? SequenceNumber);

/// <summary>The outcome of a send batch, entry by entry.</summary>
/// <param name="Sent">Entries SQS accepted.</param>
/// <param name="Failed">Entries that failed, with why.</param>
public sealed record SqsSendBatchResult(IReadOnlyList<SqsSentMessage> Sent, IReadOnlyList<SqsBatchEntryFailure> Failed);

/// <summary>A receipt handle named for a batch entry.</summary>
/// <param name="Id">Entry id, unique within the batch.</param>
/// <param name="ReceiptHandle">The latest receipt handle.</param>
public sealed record SqsReceipt(string Id, string ReceiptHandle);

/// <summary>A visibility change named for a batch entry.</summary>
/// <param name="Id">Entry id, unique within the batch.</param>
/// <param name="ReceiptHandle">The latest receipt handle.</param>
/// <param name="VisibilityTimeout">New timeout, counted from now (0 makes it visible at once).</param>
public sealed record SqsVisibilityChange(string Id, string ReceiptHandle, TimeSpan VisibilityTimeout);
