namespace Messaging.Engine.Aws.Sqs;

/// <summary>A message to send. <see cref="Id"/> names it within a batch (1–80 of <c>A–Z a–z 0–9 _ -</c>).</summary>
public sealed record SqsOutgoingMessage
{
    /// <summary>Batch entry id; ignored by single sends.</summary>
    public string Id { get; init; } = "0";

    /// <summary>The body.</summary>
    public required string Body { get; init; }

    /// <summary>Delay before it becomes visible (0–15 min; standard queues only).</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Up to 10 message attributes.</summary>
    public IReadOnlyDictionary<string, SqsMessageAttribute>? Attributes { get; init; }

    /// <summary>FIFO group (required on FIFO queues).</summary>
    public string? MessageGroupId { get; init; }

    /// <summary>FIFO deduplication id (unless the queue deduplicates by content).</summary>
    public string? DeduplicationId { get; init; }
}
