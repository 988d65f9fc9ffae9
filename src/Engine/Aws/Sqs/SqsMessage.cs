using System.Globalization;
using System.Text.Json.Serialization;

namespace Messaging.Engine.Aws.Sqs;

/// <summary>One received SQS message, as the wire carries it, plus typed views of the system attributes the engine uses.</summary>
public sealed record SqsMessage
{
    /// <summary>SQS's id for the message (not the producer's <c>messageId</c>).</summary>
    public required string MessageId { get; init; }

    /// <summary>Handle for delete and change-visibility; a new one is issued on every receive, and only the latest works.</summary>
    public required string ReceiptHandle { get; init; }

    /// <summary>The body.</summary>
    public string Body { get; init; } = string.Empty;

    /// <summary>MD5 of the body, hex.</summary>
    [JsonPropertyName("MD5OfBody")]
    public string? Md5OfBody { get; init; }

    /// <summary>System attributes (all values are strings on the wire).</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }

    /// <summary>Message attributes set by the producer.</summary>
    public IReadOnlyDictionary<string, SqsMessageAttribute>? MessageAttributes { get; init; }

    /// <summary>How many times SQS has handed this message out, this time included.</summary>
    [JsonIgnore]
    public int ApproximateReceiveCount => ReadInt("ApproximateReceiveCount") ?? 1;

    /// <summary>When the producer sent it.</summary>
    [JsonIgnore]
    public DateTimeOffset? SentAt => ReadEpochMilliseconds("SentTimestamp");

    /// <summary>When SQS first handed it out.</summary>
    [JsonIgnore]
    public DateTimeOffset? FirstReceivedAt => ReadEpochMilliseconds("ApproximateFirstReceiveTimestamp");

    /// <summary>FIFO message group, when there is one.</summary>
    [JsonIgnore]
    public string? MessageGroupId => Attributes?.GetValueOrDefault("MessageGroupId");

    /// <summary>A producer string attribute, or null.</summary>
    public string? StringAttribute(string name) => MessageAttributes?.GetValueOrDefault(name)?.StringValue;

    private int? ReadInt(string name) =>
        Attributes?.GetValueOrDefault(name) is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private DateTimeOffset? ReadEpochMilliseconds(string name) =>
        Attributes?.GetValueOrDefault(name) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
}
