namespace Messaging.Engine.Actors;

/// <summary>
/// An actor: state plus a handler that the runtime calls with one message at a time, never concurrently. The runtime
/// creates the instance from a factory, calls <see cref="StartedAsync"/> before the first message (load state here),
/// and after a failure throws the instance away and starts a fresh one, so a restart always begins from storage.
/// </summary>
public abstract class Actor<TMessage>
{
    /// <summary>Before the first message, and after every restart. An exception here counts as a failure of the message.</summary>
    protected internal virtual ValueTask StartedAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected internal abstract ValueTask ReceiveAsync(TMessage message, CancellationToken cancellationToken);

    /// <summary>After the mailbox is drained, when the actor is passivated or the host stops.</summary>
    protected internal virtual ValueTask StoppedAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
