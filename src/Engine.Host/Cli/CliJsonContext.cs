using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Engine.Templates;

namespace Messaging.Host.Cli;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<PushedRow>))]
[JsonSerializable(typeof(RenderedContent))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>For output meant for people: quotes and markup as they are (see <see cref="CliText.Json"/>).</summary>
    public static CliJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
