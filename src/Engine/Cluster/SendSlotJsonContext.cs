using System.Text.Json.Serialization;

namespace Messaging.Engine.Cluster;

/// <summary>The JSON of the send-slot messages when they cross nodes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(TakeSendSlot))]
[JsonSerializable(typeof(SendSlot))]
[JsonSerializable(typeof(SendSlotRefused))]
[JsonSerializable(typeof(ReturnSendSlot))]
internal sealed partial class SendSlotJsonContext : JsonSerializerContext;
