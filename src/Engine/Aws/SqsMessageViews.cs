using System.Globalization;
using Amazon.SQS.Model;

namespace Messaging.Engine.Aws;

/// <summary>Typed views of the SQS system and message attributes the engine reads, and the attribute values it writes.</summary>
public static class SqsMessageViews
{
    /// <summary>Most entries in one SQS batch call (and most messages in one receive).</summary>
    public const int MaxBatchSize = 10;

    /// <summary>Longest long poll SQS allows.</summary>
    public static readonly TimeSpan MaxWaitTime = TimeSpan.FromSeconds(20);

    /// <summary>What every receive asks for: all system and all message attributes.</summary>
    public static ReceiveMessageRequest ReceiveAll(string queueUrl, int maxMessages, TimeSpan waitTime, TimeSpan? visibilityTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, MaxBatchSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(waitTime, MaxWaitTime);
        var request = new ReceiveMessageRequest
        {
            QueueUrl = queueUrl,
            MaxNumberOfMessages = maxMessages,
            WaitTimeSeconds = (int)waitTime.TotalSeconds,
            VisibilityTimeout = visibilityTimeout is { } v ? Seconds(v) : null,
            MessageSystemAttributeNames = ["All"],
            MessageAttributeNames = ["All"],
        };
#pragma warning disable CS0618 // The deprecated name is still honoured by SQS and the only one the local peer reads.
        request.AttributeNames = ["All"];
#pragma warning restore CS0618
        return request;
    }

    /// <summary>Whole seconds, rounded up, as SQS takes visibility timeouts and delays.</summary>
    public static int Seconds(TimeSpan span) => (int)Math.Ceiling(span.TotalSeconds);

    extension(Message message)
    {
        /// <summary>How many times SQS has handed this message out, this time included.</summary>
        public int ApproximateReceiveCount => message.ReadInt("ApproximateReceiveCount") ?? 1;

        /// <summary>When the producer sent it.</summary>
        public DateTimeOffset? SentAt => message.ReadEpochMilliseconds("SentTimestamp");

        /// <summary>When SQS first handed it out.</summary>
        public DateTimeOffset? FirstReceivedAt => message.ReadEpochMilliseconds("ApproximateFirstReceiveTimestamp");

        /// <summary>FIFO message group, when there is one.</summary>
        public string? MessageGroupId => message.Attributes?.GetValueOrDefault("MessageGroupId");

        /// <summary>A producer's String (or Number) attribute, or null.</summary>
        public string? StringAttribute(string name) => message.MessageAttributes?.GetValueOrDefault(name)?.StringValue;

        private int? ReadInt(string name) =>
            message.Attributes?.GetValueOrDefault(name) is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : null;

        private DateTimeOffset? ReadEpochMilliseconds(string name) =>
            message.Attributes?.GetValueOrDefault(name) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : null;
    }

    extension(MessageAttributeValue)
    {
        /// <summary>A String attribute.</summary>
        public static MessageAttributeValue String(string value) => new() { DataType = "String", StringValue = value };

        /// <summary>A Number attribute.</summary>
        public static MessageAttributeValue Number(long value) =>
            new() { DataType = "Number", StringValue = value.ToString(CultureInfo.InvariantCulture) };
    }
}
