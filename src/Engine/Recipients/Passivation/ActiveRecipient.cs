using Akka.Actor;

namespace Messaging.Engine.Recipients.Passivation;

/// <summary>
/// One live recipient entity's slot in <see cref="ActiveRecipients"/>: the entity stamps it with a tick of the node's
/// use clock on every message it receives, and the sweep passivates those with the oldest stamps.
/// </summary>
internal sealed class ActiveRecipient
{
    private const int Live = 0;
    private const int PassivationAsked = 1;
    private const int Stopped = 2;

    private readonly ActiveRecipients _registry;
    private long _lastUsed;
    private int _state;

    internal ActiveRecipient(ActiveRecipients registry, IActorRef entity, IActorRef shard, long tick)
    {
        _registry = registry;
        Entity = entity;
        Shard = shard;
        _lastUsed = tick;
    }

    public IActorRef Entity { get; }

    /// <summary>The entity's parent: the sharding shard that passivates it.</summary>
    public IActorRef Shard { get; }

    public long LastUsed => Volatile.Read(ref _lastUsed);

    /// <summary>Still counted against the limit: neither asked to passivate nor stopped.</summary>
    public bool IsLive => Volatile.Read(ref _state) == Live;

    /// <summary>The entity received a message. A plain write: the hot path takes no lock.</summary>
    public void Touch() => Volatile.Write(ref _lastUsed, _registry.NextTick());

    /// <summary>Marks the slot as asked to passivate; false when it was not live any more.</summary>
    internal bool TryAskPassivation() => Interlocked.CompareExchange(ref _state, PassivationAsked, Live) == Live;

    /// <summary>Marks the slot stopped; true when it still counted as live.</summary>
    internal bool Stop() => Interlocked.Exchange(ref _state, Stopped) == Live;
}
