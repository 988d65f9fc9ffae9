using System.Text.Json.Serialization;

namespace Messaging.Engine.Aws;

/// <summary>The fields AWS JSON 1.0 and REST-JSON error bodies carry, in either spelling.</summary>
internal sealed record AwsErrorBody
{
    [JsonPropertyName("__type")]
    public string? Type { get; init; }

    public string? Code { get; init; }

    public string? Message { get; init; }

    public string? Reason { get; init; }
}
