using System.Text.Json.Serialization;

namespace Messaging.Engine.Ingest;

[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(int))]
internal sealed partial class IngestJsonContext : JsonSerializerContext;
