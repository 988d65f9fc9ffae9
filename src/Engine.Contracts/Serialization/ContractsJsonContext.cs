using System.Text.Json.Serialization;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;

namespace Messaging.Contracts.Serialization;

/// <summary>
/// Source-generated System.Text.Json metadata for the contract types: camelCase names, enums as
/// their camelCase contract names, nulls omitted. Producers use it to write requests; the engine uses it to
/// write status events.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MessageRequest))]
[JsonSerializable(typeof(MessageStatusChanged))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
