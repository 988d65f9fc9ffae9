using System.Text.Json.Serialization;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Recipients;

/// <summary>
/// The journal's JSON for recipient events and snapshots. Unknown fields are ignored and optional fields may be missing,
/// so an event written by an older or newer build still reads; a missing required field is an error, not a null.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(RequestAccepted))]
[JsonSerializable(typeof(SendIntended))]
[JsonSerializable(typeof(Sent))]
[JsonSerializable(typeof(Rejected))]
[JsonSerializable(typeof(SendFailed))]
[JsonSerializable(typeof(Delivered))]
[JsonSerializable(typeof(Bounced))]
[JsonSerializable(typeof(Complained))]
[JsonSerializable(typeof(Opened))]
[JsonSerializable(typeof(Clicked))]
[JsonSerializable(typeof(Suppressed))]
[JsonSerializable(typeof(Unsuppressed))]
[JsonSerializable(typeof(SendUnconfirmed))]
[JsonSerializable(typeof(DeadLettered))]
[JsonSerializable(typeof(DeliveryDelayed))]
[JsonSerializable(typeof(DeliveryFailed))]
[JsonSerializable(typeof(MessageRecalled))]
[JsonSerializable(typeof(Redriven))]
[JsonSerializable(typeof(ResentAfterUnknown))]
[JsonSerializable(typeof(RecipientState))]
internal sealed partial class RecipientJsonContext : JsonSerializerContext;
