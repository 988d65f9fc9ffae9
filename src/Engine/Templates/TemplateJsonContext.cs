using System.Text.Json.Serialization;

namespace Messaging.Engine.Templates;

/// <summary>How a version's definition is stored, and how <c>metadata.json</c> is read.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(TemplateDefinition))]
internal sealed partial class TemplateJsonContext : JsonSerializerContext;
