using Akka.Actor;
using Akka.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Tests.Persistence.AkkaPlugin;

/// <summary>
/// A persistent actor that only keeps a <see cref="RecipientState"/>: recovers it through Akka (snapshot, then events,
/// each applied with the real <see cref="RecipientState.Apply"/>), persists the events it is given, and snapshots on request.
/// </summary>
internal sealed class RecipientStateShell : ReceivePersistentActor
{
    private RecipientState _state = RecipientState.Empty;

    public RecipientStateShell(string persistenceId, IActorRef observer)
    {
        PersistenceId = persistenceId;
        Recover<SnapshotOffer>(offer => _state = (RecipientState)offer.Snapshot);
        Recover<IRecipientEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ => observer.Tell(new Recovered(_state, LastSequenceNr)));
        Command<IRecipientEvent[]>(events => PersistAll(events, e =>
        {
            _state = _state.Apply(e);
            if (ReferenceEquals(e, events[^1]))
            {
                observer.Tell(new Recovered(_state, LastSequenceNr));
            }
        }));
        Command<Recorder.TakeSnapshot>(_ => SaveSnapshot(_state));
        Command<SaveSnapshotSuccess>(observer.Tell);
    }

    public override string PersistenceId { get; }

    public static Props Props(string persistenceId, IActorRef observer) =>
        Akka.Actor.Props.Create(() => new RecipientStateShell(persistenceId, observer));

    public sealed record Recovered(RecipientState State, long LastSequenceNr);
}
