using Akka.Actor;
using Messaging.Engine.Persistence;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// Akka's serializer for what crosses nodes to and from recipient entities: the commands and their answers, each as a
/// System.Text.Json contract under a short stable manifest (never the CLR name, so a rename keeps the wire), never Akka's
/// Newtonsoft default. Bound in <c>config/akka.hocon</c>. Failures travel as Akka's own <c>Status.Failure</c>.
/// </summary>
public sealed class RecipientProtocolSerializer(ExtendedActorSystem system) : StableTypeSerializer(system, Types, "recipient message")
{
    /// <summary>Sent with every message this serializer wrote; it must never change.</summary>
    public const int Id = 2021;

    private static readonly RecipientProtocolJsonContext Json = RecipientProtocolJsonContext.Default;

    /// <summary>Every type this serializer carries, and its manifest.</summary>
    public static StableTypeNames Types { get; } = new(
    [
        new(typeof(Deliver), "deliver.v1", Json.Deliver),
        new(typeof(AbandonDelivery), "abandon-delivery.v1", Json.AbandonDelivery),
        new(typeof(RecordProviderFeedback), "feedback.v1", Json.RecordProviderFeedback),
        new(typeof(QueryRecipient), "query.v1", Json.QueryRecipient),
        new(typeof(SuppressByOperator), "suppress.v1", Json.SuppressByOperator),
        new(typeof(UnsuppressByOperator), "unsuppress.v1", Json.UnsuppressByOperator),
        new(typeof(RecordRejectedRequest), "reject.v1", Json.RecordRejectedRequest),
        new(typeof(StopRecipient), "stop.v1", Json.StopRecipient),
        new(typeof(DeliveryOutcome.Sent), "outcome.sent.v1", Json.Sent),
        new(typeof(DeliveryOutcome.Duplicate), "outcome.duplicate.v1", Json.Duplicate),
        new(typeof(DeliveryOutcome.Rejected), "outcome.rejected.v1", Json.Rejected),
        new(typeof(DeliveryOutcome.Failed), "outcome.failed.v1", Json.Failed),
        new(typeof(DeliveryOutcome.Unconfirmed), "outcome.unconfirmed.v1", Json.Unconfirmed),
        new(typeof(DeliveryOutcome.Reconciling), "outcome.reconciling.v1", Json.Reconciling),
        new(typeof(DeliveryOutcome.Scheduled), "outcome.scheduled.v1", Json.Scheduled),
        new(typeof(DeliveryOutcome.RetryLater), "outcome.retry-later.v1", Json.RetryLater),
        new(typeof(DeliveryOutcome.Paused), "outcome.paused.v1", Json.Paused),
        new(typeof(DeliveryOutcome.DeadLetter), "outcome.dead-letter.v1", Json.DeadLetter),
        new(typeof(RecipientSnapshot), "snapshot.v1", Json.RecipientSnapshot),
        new(typeof(SuppressionChange), "suppression-change.v1", Json.SuppressionChange),
        new(typeof(RejectionOutcome), "rejection-outcome.v1", Json.RejectionOutcome),
    ]);

    public override int Identifier => Id;

    protected override object Read(object message) => message is StopRecipient ? StopRecipient.Instance : message;
}
