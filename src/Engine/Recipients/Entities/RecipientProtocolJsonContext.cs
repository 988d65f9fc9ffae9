using System.Text.Json.Serialization;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// The JSON of the messages to and from recipient entities when they cross nodes, with the journal's conventions
/// (<see cref="RecipientJsonContext"/>): unknown fields ignored, so a node of a newer build may add optional fields; a
/// missing required field is an error. Nulls are written: a constructor parameter that may be null is still required.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(RecipientKeyJsonConverter)])]
[JsonSerializable(typeof(Deliver))]
[JsonSerializable(typeof(AbandonDelivery))]
[JsonSerializable(typeof(RecordProviderFeedback))]
[JsonSerializable(typeof(QueryRecipient))]
[JsonSerializable(typeof(SuppressByOperator))]
[JsonSerializable(typeof(UnsuppressByOperator))]
[JsonSerializable(typeof(RecordRejectedRequest))]
[JsonSerializable(typeof(StopRecipient))]
[JsonSerializable(typeof(DeliveryOutcome.Sent))]
[JsonSerializable(typeof(DeliveryOutcome.Duplicate))]
[JsonSerializable(typeof(DeliveryOutcome.Rejected))]
[JsonSerializable(typeof(DeliveryOutcome.Failed))]
[JsonSerializable(typeof(DeliveryOutcome.Unconfirmed))]
[JsonSerializable(typeof(DeliveryOutcome.Reconciling))]
[JsonSerializable(typeof(DeliveryOutcome.Scheduled))]
[JsonSerializable(typeof(DeliveryOutcome.RetryLater))]
[JsonSerializable(typeof(DeliveryOutcome.Paused))]
[JsonSerializable(typeof(DeliveryOutcome.DeadLetter))]
[JsonSerializable(typeof(RecipientSnapshot))]
[JsonSerializable(typeof(SuppressionChange))]
[JsonSerializable(typeof(RejectionOutcome))]
internal sealed partial class RecipientProtocolJsonContext : JsonSerializerContext;
