using System.Text.Json.Serialization;

namespace Messaging.Engine.Aws.Sqs;

// The AWS JSON 1.0 request and response shapes of the SQS operations the engine calls.
// Property names are the wire's (PascalCase), so no naming policy is applied.

internal sealed record ReceiveMessageRequest(
    string QueueUrl,
    int MaxNumberOfMessages,
    int WaitTimeSeconds,
    int? VisibilityTimeout,
    string[] AttributeNames,
    string[] MessageSystemAttributeNames,
    string[] MessageAttributeNames,
    string? ReceiveRequestAttemptId);

internal sealed record ReceiveMessageResponse(SqsMessage[]? Messages = null);

internal sealed record SendMessageRequest(
    string QueueUrl,
    string MessageBody,
    int? DelaySeconds,
    IReadOnlyDictionary<string, SqsMessageAttribute>? MessageAttributes,
    string? MessageGroupId,
    string? MessageDeduplicationId);

internal sealed record SendMessageResponse(string MessageId, string? SequenceNumber = null);

internal sealed record SendMessageBatchEntry(
    string Id,
    string MessageBody,
    int? DelaySeconds,
    IReadOnlyDictionary<string, SqsMessageAttribute>? MessageAttributes,
    string? MessageGroupId,
    string? MessageDeduplicationId);

internal sealed record SendMessageBatchRequest(string QueueUrl, SendMessageBatchEntry[] Entries);

internal sealed record SendMessageBatchResultEntry(string Id, string MessageId, string? SequenceNumber = null);

internal sealed record BatchResultErrorEntry(
    string Id,
    string Code,
    [property: JsonConverter(typeof(LenientBooleanConverter))] bool SenderFault,
    string? Message = null);

/// <summary>Reads a boolean sent as JSON true/false or as the strings "true"/"false" (some SQS-compatible servers quote it).</summary>
internal sealed class LenientBooleanConverter : JsonConverter<bool>
{
    public override bool Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            System.Text.Json.JsonTokenType.True => true,
            System.Text.Json.JsonTokenType.False => false,
            System.Text.Json.JsonTokenType.String when bool.TryParse(reader.GetString(), out var value) => value,
            _ => throw new System.Text.Json.JsonException($"Expected a boolean, found {reader.TokenType}."),
        };

    public override void Write(System.Text.Json.Utf8JsonWriter writer, bool value, System.Text.Json.JsonSerializerOptions options) => writer.WriteBooleanValue(value);
}

internal sealed record SendMessageBatchResponse(SendMessageBatchResultEntry[]? Successful = null, BatchResultErrorEntry[]? Failed = null);

internal sealed record ReceiptEntry(string Id, string ReceiptHandle);

internal sealed record DeleteMessageBatchRequest(string QueueUrl, ReceiptEntry[] Entries);

internal sealed record BatchSuccessEntry(string Id);

internal sealed record BatchResponse(BatchSuccessEntry[]? Successful = null, BatchResultErrorEntry[]? Failed = null);

internal sealed record ChangeMessageVisibilityRequest(string QueueUrl, string ReceiptHandle, int VisibilityTimeout);

internal sealed record VisibilityEntry(string Id, string ReceiptHandle, int VisibilityTimeout);

internal sealed record ChangeMessageVisibilityBatchRequest(string QueueUrl, VisibilityEntry[] Entries);

internal sealed record GetQueueUrlRequest(string QueueName);

internal sealed record QueueUrlResponse(string QueueUrl);

internal sealed record GetQueueAttributesRequest(string QueueUrl, string[] AttributeNames);

internal sealed record QueueAttributesResponse(Dictionary<string, string>? Attributes = null);

internal sealed record CreateQueueRequest(
    string QueueName,
    IReadOnlyDictionary<string, string>? Attributes,
    [property: JsonPropertyName("tags")] IReadOnlyDictionary<string, string>? Tags);

internal sealed record SetQueueAttributesRequest(string QueueUrl, IReadOnlyDictionary<string, string> Attributes);

internal sealed record ListQueuesRequest(string? QueueNamePrefix, int? MaxResults);

internal sealed record ListQueuesResponse(string[]? QueueUrls = null);

internal sealed record EmptyResponse;

// Responses missing a required field or carrying a null where none belongs are malformed, not defaults.
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ReceiveMessageRequest))]
[JsonSerializable(typeof(ReceiveMessageResponse))]
[JsonSerializable(typeof(SendMessageRequest))]
[JsonSerializable(typeof(SendMessageResponse))]
[JsonSerializable(typeof(SendMessageBatchRequest))]
[JsonSerializable(typeof(SendMessageBatchResponse))]
[JsonSerializable(typeof(DeleteMessageBatchRequest))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(ChangeMessageVisibilityRequest))]
[JsonSerializable(typeof(ChangeMessageVisibilityBatchRequest))]
[JsonSerializable(typeof(GetQueueUrlRequest))]
[JsonSerializable(typeof(QueueUrlResponse))]
[JsonSerializable(typeof(GetQueueAttributesRequest))]
[JsonSerializable(typeof(QueueAttributesResponse))]
[JsonSerializable(typeof(CreateQueueRequest))]
[JsonSerializable(typeof(SetQueueAttributesRequest))]
[JsonSerializable(typeof(ListQueuesRequest))]
[JsonSerializable(typeof(ListQueuesResponse))]
[JsonSerializable(typeof(EmptyResponse))]
internal sealed partial class SqsJsonContext : JsonSerializerContext;
