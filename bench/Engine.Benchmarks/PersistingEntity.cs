using Akka.Actor;
using Akka.Persistence;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Benchmarks;

/// <summary>
/// An Akka persistent actor that persists one recipient event per command (suppressed, then lifted, in turn) with
/// <c>Persist</c>, and answers only in the callback: each command waits for its own event's durability.
/// </summary>
internal sealed class PersistingEntity : ReceivePersistentActor
{
    private static readonly DateTimeOffset At = new(2026, 11, 30, 7, 0, 0, TimeSpan.Zero);

    public PersistingEntity(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<IRecipientEvent>(_ => { });
        Command<Ping>(_ => Sender.Tell(LastSequenceNr));
        Command<PersistOne>(_ =>
        {
            IRecipientEvent next = LastSequenceNr % 2 == 0
                ? new Suppressed(SuppressionReason.OptedOut, At, "m1", "bench", null)
                : new Unsuppressed("bench", "toggle", At);
            Persist(next, _ => Sender.Tell(LastSequenceNr));
        });
    }

    public override string PersistenceId { get; }

    public sealed record Ping
    {
        public static Ping Instance { get; } = new();
    }

    public sealed record PersistOne
    {
        public static PersistOne Instance { get; } = new();
    }
}
