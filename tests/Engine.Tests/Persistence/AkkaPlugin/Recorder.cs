using Akka.Actor;
using Akka.Persistence;

namespace Messaging.Engine.Tests.Persistence.AkkaPlugin;

/// <summary>
/// A persistent actor for the plugin's tests: persists the strings it is told to (several at once as one atomic write),
/// and tells the observer what it recovered, what was persisted and what failed.
/// </summary>
internal sealed class Recorder : ReceivePersistentActor
{
    private readonly IActorRef _observer;
    private readonly List<string> _events = [];

    public Recorder(string persistenceId, IActorRef observer)
    {
        PersistenceId = persistenceId;
        _observer = observer;

        Recover<SnapshotOffer>(offer => _events.AddRange((string[])offer.Snapshot));
        Recover<string>(_events.Add);
        Recover<RecoveryCompleted>(_ => _observer.Tell(new Recovered(PersistenceId, [.. _events], LastSequenceNr)));

        Command<Write>(write =>
        {
            var left = write.Events.Length;
            PersistAll(write.Events, e =>
            {
                _events.Add(e);
                if (--left == 0)
                {
                    _observer.Tell(new Persisted(PersistenceId, LastSequenceNr));
                }
            });
        });
        Command<TakeSnapshot>(_ => SaveSnapshot(_events.ToArray()));
        Command<SaveSnapshotSuccess>(success => _observer.Tell(success));
        Command<SaveSnapshotFailure>(failure => _observer.Tell(failure));
    }

    public override string PersistenceId { get; }

    public static Props Props(string persistenceId, IActorRef observer) =>
        Akka.Actor.Props.Create(() => new Recorder(persistenceId, observer));

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _observer.Tell(new PersistFailed(PersistenceId, sequenceNr, cause.Message));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _observer.Tell(new PersistRejected(PersistenceId, sequenceNr, cause.Message));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _observer.Tell(new RecoveryFailed(PersistenceId, reason.Message));
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>Persist these events as one atomic write.</summary>
    public sealed record Write(params string[] Events);

    public sealed record TakeSnapshot;

    public sealed record Recovered(string PersistenceId, IReadOnlyList<string> Events, long LastSequenceNr);

    public sealed record Persisted(string PersistenceId, long LastSequenceNr);

    public sealed record PersistFailed(string PersistenceId, long SequenceNr, string Reason);

    public sealed record PersistRejected(string PersistenceId, long SequenceNr, string Reason);

    public sealed record RecoveryFailed(string PersistenceId, string Reason);
}
