using System.Text.Json.Serialization;

namespace Messaging.Engine.Aws.Sms;

internal sealed record SendTextMessageResponse(string MessageId);

// Responses missing a required field or carrying a null where none belongs are malformed, not defaults.
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(SmsText))]
[JsonSerializable(typeof(SendTextMessageResponse))]
internal sealed partial class SmsJsonContext : JsonSerializerContext;
