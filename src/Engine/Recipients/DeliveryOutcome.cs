using System.Text.Json.Serialization;
using Messaging.Contracts.Status;

namespace Messaging.Engine.Recipients;

/// <summary>
/// What became of a <see cref="DeliverRequest"/>: the closed set the pipeline turns into an ack, a delay or a DLQ entry.
/// Every case is already durable in the recipient's journal when it is answered.
/// </summary>
public abstract record DeliveryOutcome
{
    private DeliveryOutcome() { }

    /// <summary>The provider took it. Ack.</summary>
    public sealed record Sent(string ProviderMessageId) : DeliveryOutcome;

    /// <summary>This message id was handled before; nothing was sent now. Ack.</summary>
    public sealed record Duplicate(MessageStatus Status) : DeliveryOutcome;

    /// <summary>Refused for good (suppressed, capped, content could not be made). Ack.</summary>
    public sealed record Rejected(string Reason, bool Suppressed) : DeliveryOutcome;

    /// <summary>The provider refused it permanently. Ack.</summary>
    public sealed record Failed(string Reason) : DeliveryOutcome;

    /// <summary>A send began but its result is unknown; at-most-once delivery does not send again. Ack.</summary>
    public sealed record Unconfirmed(string Reason) : DeliveryOutcome;

    /// <summary>
    /// Recorded <c>unknown</c>, and <c>ReconcileUnknownAfter</c> is set: keep the request hidden until
    /// <paramref name="Due"/>; a provider <c>Send</c> event by then settles it as sent, otherwise it is sent once more.
    /// </summary>
    public sealed record Reconciling(string Reason, DateTimeOffset Due) : DeliveryOutcome;

    /// <summary>Not due until <paramref name="NotBefore"/>. Keep the request hidden until then.</summary>
    public sealed record Scheduled(DateTimeOffset NotBefore) : DeliveryOutcome;

    /// <summary>A transient failure (attempt <paramref name="Attempts"/>): retry after <paramref name="Delay"/>.</summary>
    public sealed record RetryLater(string Reason, TimeSpan Delay, int Attempts) : DeliveryOutcome
    {
        /// <summary>
        /// Given up undecided because its recipient's entity moved between nodes: back in a second, no attempt counted
        /// beyond <paramref name="attempts"/> (it did not fail), to be decided at the recipient's new home.
        /// </summary>
        public static RetryLater AfterMove(string reason, int attempts) => new(reason, TimeSpan.FromSeconds(1), attempts);
    }

    /// <summary>
    /// Its category is paused (the reputation guard, or an operator): not a failure. Put it back for
    /// <paramref name="Delay"/> without spending its attempts.
    /// </summary>
    public sealed record Paused(string Reason, TimeSpan Delay) : DeliveryOutcome;

    /// <summary>Given up after <paramref name="Attempts"/> attempts: move the request to the dead-letter queue.</summary>
    public sealed record DeadLetter(string Reason, int Attempts, DateTimeOffset? FirstFailureAt) : DeliveryOutcome;

    /// <summary>True when the request is finished with and may be deleted from its queue.</summary>
    [JsonIgnore]
    public bool IsFinal => this is Sent or Duplicate or Rejected or Failed or Unconfirmed;
}
