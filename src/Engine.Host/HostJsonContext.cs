using System.Text.Json.Serialization;
using Messaging.Host.Health;

namespace Messaging.Host;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ReadinessReport))]
[JsonSerializable(typeof(LivenessReport))]
internal sealed partial class HostJsonContext : JsonSerializerContext;

/// <summary>The answer of <c>GET /health/live</c>.</summary>
internal sealed record LivenessReport(string Status);
