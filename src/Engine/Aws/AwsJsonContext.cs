using System.Text.Json.Serialization;

namespace Messaging.Engine.Aws;

/// <summary>Source-generated metadata for the parts of the wire format all services share.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(AwsErrorBody))]
internal sealed partial class AwsJsonContext : JsonSerializerContext;
