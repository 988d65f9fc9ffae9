using System.Text.Json.Serialization;

namespace Messaging.Engine.Aws.Sms;

internal sealed record SendTextMessageResponse(string MessageId);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SmsText))]
[JsonSerializable(typeof(SendTextMessageResponse))]
internal sealed partial class SmsJsonContext : JsonSerializerContext;
