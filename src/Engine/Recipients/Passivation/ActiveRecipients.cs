using Akka.Actor;

namespace Messaging.Engine.Recipients.Passivation;

/// <summary>
/// This node's live recipient entities and when each was last used, for the least-recently-used limit
/// (<see cref="RecipientPassivationSettings"/>); one per actor system (an Akka extension). An entity registers as it
/// starts, stamps its slot on every message and unregisters as it stops; no message is sent per request. A registration
/// that takes the node over its limit wakes the sweeper (<see cref="LeastRecentlyUsedPassivation"/>), at most one wake
/// pending at a time.
/// </summary>
internal sealed class ActiveRecipients : IExtension
{
    private readonly object _gate = new();
    private readonly HashSet<ActiveRecipient> _slots = [];
    private readonly IActorRef _sweeper;
    private long _clock;
    private int _live;
    private int _sweepPending;
    private long _passivationsAsked;

    public ActiveRecipients(ExtendedActorSystem system)
    {
        Settings = RecipientPassivationSettings.From(system.Settings.Config);
        _sweeper = Settings.ActiveEntityLimit > 0
            ? system.SystemActorOf(Props.Create(() => new LeastRecentlyUsedPassivation(this)), "recipient-passivation")
            : ActorRefs.Nobody;
    }

    public RecipientPassivationSettings Settings { get; }

    /// <summary>Entities registered and not asked to passivate: what the limit is held against.</summary>
    public int Live => Volatile.Read(ref _live);

    /// <summary>How many entities the sweeps asked their shards to passivate since the system started.</summary>
    public long PassivationsAsked => Interlocked.Read(ref _passivationsAsked);

    public static ActiveRecipients Get(ActorSystem system) => system.WithExtension<ActiveRecipients, ActiveRecipientsProvider>();

    /// <summary>Registers an entity of <paramref name="shard"/> as it starts; it counts as used now.</summary>
    public ActiveRecipient Register(IActorRef entity, IActorRef shard)
    {
        var slot = new ActiveRecipient(this, entity, shard, NextTick());
        lock (_gate)
        {
            _slots.Add(slot);
        }

        if (Interlocked.Increment(ref _live) > Settings.ActiveEntityLimit && Settings.ActiveEntityLimit > 0 &&
            Interlocked.Exchange(ref _sweepPending, 1) == 0)
        {
            _sweeper.Tell(LeastRecentlyUsedPassivation.Sweep.Instance);
        }

        return slot;
    }

    /// <summary>The entity stopped (passivated, handed off, or failed).</summary>
    public void Unregister(ActiveRecipient slot)
    {
        lock (_gate)
        {
            _slots.Remove(slot);
        }

        if (slot.Stop())
        {
            Interlocked.Decrement(ref _live);
        }
    }

    internal long NextTick() => Interlocked.Increment(ref _clock);

    /// <summary>
    /// The sweep: when more than the limit are live, marks the least recently used as asked to passivate until
    /// <see cref="RecipientPassivationSettings.KeepAfterSweep"/> are left, and returns them.
    /// </summary>
    internal IReadOnlyList<ActiveRecipient> TakeLeastRecentlyUsed()
    {
        // Reset first: a registration from here on wakes the next sweep, which sees what this one marks.
        Volatile.Write(ref _sweepPending, 0);
        if (Live <= Settings.ActiveEntityLimit)
        {
            return [];
        }

        ActiveRecipient[] live;
        lock (_gate)
        {
            live = [.. _slots.Where(s => s.IsLive)];
        }

        var excess = live.Length - Settings.KeepAfterSweep;
        if (excess <= 0)
        {
            return [];
        }

        var stamps = new long[live.Length];
        for (var i = 0; i < live.Length; i++)
        {
            stamps[i] = live[i].LastUsed;
        }

        Array.Sort(stamps, live);
        var chosen = new List<ActiveRecipient>(excess);
        foreach (var slot in live)
        {
            if (chosen.Count == excess)
            {
                break;
            }

            // A slot that stopped since the copy is skipped; it left the count itself.
            if (slot.TryAskPassivation())
            {
                Interlocked.Decrement(ref _live);
                chosen.Add(slot);
            }
        }

        Interlocked.Add(ref _passivationsAsked, chosen.Count);
        return chosen;
    }
}
