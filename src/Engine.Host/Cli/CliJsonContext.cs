using System.Text.Json.Serialization;
using Messaging.Engine.Templates;

namespace Messaging.Host.Cli;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<PushedRow>))]
[JsonSerializable(typeof(RenderedContent))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
