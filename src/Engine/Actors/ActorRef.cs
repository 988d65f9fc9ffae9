using System.Threading.Channels;

namespace Messaging.Engine.Actors;

/// <summary>A handle to a spawned actor: the only way to reach it.</summary>
public sealed class ActorRef<TMessage>
{
    private readonly ActorCell<TMessage> _cell;
    private readonly TimeProvider _timeProvider;

    internal ActorRef(ActorCell<TMessage> cell, TimeProvider timeProvider)
    {
        _cell = cell;
        _timeProvider = timeProvider;
    }

    public string Name => _cell.Name;

    /// <summary>Queues the message if there is room now; false when the mailbox is full or the actor stopped.</summary>
    public bool TryTell(TMessage message) => _cell.TryPost(new Envelope<TMessage>(message, null));

    /// <summary>Queues the message, waiting for room in a full mailbox (backpressure).</summary>
    public ValueTask TellAsync(TMessage message, CancellationToken cancellationToken) =>
        PostAsync(new Envelope<TMessage>(message, null), cancellationToken);

    /// <summary>Sends the message built around a reply and waits for the answer within <paramref name="timeout"/>.</summary>
    public Task<TReply> AskAsync<TReply>(
        Func<Reply<TReply>, TMessage> build, TimeSpan timeout, CancellationToken cancellationToken) =>
        AskPattern.AskAsync(Name, PostAsync, build, timeout, _timeProvider, cancellationToken);

    private ValueTask PostAsync(Envelope<TMessage> envelope, CancellationToken cancellationToken)
    {
        if (_cell.TryPost(envelope))
        {
            return ValueTask.CompletedTask;
        }

        return WaitForRoomAsync(envelope, cancellationToken);

        async ValueTask WaitForRoomAsync(Envelope<TMessage> e, CancellationToken ct)
        {
            try
            {
                await _cell.PostAsync(e, ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ActorHostStoppedException($"{Name} is stopped and takes no messages.");
            }
        }
    }

    public override string ToString() => Name;
}
