using Akka.Actor;

namespace Messaging.Engine.Cluster;

/// <summary>
/// The one place in the cluster that hands out send slots for a rate too small to split between the nodes (see
/// <see cref="ClusterSendSlots"/>): a cluster singleton, so every place is timed on one clock (<see cref="SendSlotPool"/>).
/// When it starts where a predecessor may have run (it moved from an older node, or restarted), the places that one
/// granted may still be held, so it grants nothing until any of them must have been given back and left its window.
/// </summary>
public sealed class SendSlotAllocator : ReceiveActor
{
    // Asks waiting at once for places, over every throttle; beyond this one is refused at once, to be retried.
    private const int MaxWaiting = 10_000;

    private readonly TimeProvider _time;
    private readonly TimeSpan _holdAtMost;
    private readonly Dictionary<string, Pool> _pools = new(StringComparer.Ordinal);
    private long _freeFrom;
    private int _waiting;

    /// <param name="holdAtMost">The longest a node may hold a place (the time to start its call and the call's timeout).</param>
    /// <param name="mayHaveHadPredecessor">
    /// False only when this node never saw an older member: the cluster formed around it, so no other allocator ran.
    /// </param>
    public SendSlotAllocator(TimeProvider time, TimeSpan holdAtMost, Func<bool> mayHaveHadPredecessor)
    {
        _time = time;
        _holdAtMost = holdAtMost;
        _freeFrom = QuietFrom(mayHaveHadPredecessor());
        Receive<TakeSendSlot>(Take);
        Receive<ReturnSendSlot>(Return);
        Receive<Serve>(serve => ServePool(serve.Throttle));
    }

    protected override void PostRestart(Exception reason)
    {
        // This node's own earlier incarnation granted places that may still be held, and told nobody which.
        base.PostRestart(reason);
        _freeFrom = QuietFrom(mayHaveHadPredecessor: true);
    }

    /// <summary>
    /// Nothing is granted for a second after a start (the places of a predecessor on another clock may be in their
    /// window), and, where a predecessor may have run, for as long as its places can still be held.
    /// </summary>
    private long QuietFrom(bool mayHaveHadPredecessor) =>
        _time.GetTimestamp() + Stamps(Throttling.SendThrottle.Window + (mayHaveHadPredecessor ? _holdAtMost : TimeSpan.Zero));

    protected override void PostStop()
    {
        foreach (var pool in _pools.Values)
        {
            pool.Timer?.Dispose();
        }

        base.PostStop();
    }

    private void Take(TakeSendSlot take)
    {
        var now = _time.GetTimestamp();
        if (_waiting >= MaxWaiting)
        {
            Sender.Tell(new SendSlotRefused($"{_waiting} sends already wait for a slot"));
            return;
        }

        if (!_pools.TryGetValue(take.Throttle, out var pool))
        {
            // A bounded map: one entry per throttle (email, sms, each configured origination).
            pool = new Pool(new SendSlotPool(_freeFrom, _time.TimestampFrequency));
            _pools[take.Throttle] = pool;
        }

        pool.Places.SetRate(take.AccountRate);
        pool.Places.Enqueue(new SendSlotPool.Taker(Sender, now, Stamps(take.HoldAtMost), Stamps(take.WaitAtMost)));
        _waiting++;
        ServePool(take.Throttle);
    }

    private void Return(ReturnSendSlot returned)
    {
        if (_pools.TryGetValue(returned.Throttle, out var pool))
        {
            pool.Places.Return(returned.Lease, returned.Sent, Stamps(returned.CountedBefore), _time.GetTimestamp());
            ServePool(returned.Throttle);
        }
    }

    private void ServePool(string throttle)
    {
        var pool = _pools[throttle];
        var (answers, next) = pool.Places.Serve(_time.GetTimestamp());
        foreach (var answer in answers)
        {
            _waiting--;
            var asker = (IActorRef)answer.Taker.Asker;
            asker.Tell(answer.Lease != 0
                ? new SendSlot(answer.Lease, Span(answer.Queued))
                : new SendSlotRefused($"no {throttle} slot came free within {Span(answer.Queued).TotalSeconds:0.#} s"));
        }

        if (next is { } at)
        {
            // On the allocator's TimeProvider, so that fake time in tests moves it too.
            var self = Self;
            pool.Timer ??= _time.CreateTimer(_ => self.Tell(new Serve(throttle)), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            pool.Timer.Change(RoundedUp(at - _time.GetTimestamp()), Timeout.InfiniteTimeSpan);
        }
    }

    private long Stamps(TimeSpan span) => (long)Math.Ceiling(span.Ticks * (double)_time.TimestampFrequency / TimeSpan.TicksPerSecond);

    private TimeSpan Span(long stamps) => TimeSpan.FromTicks(stamps * TimeSpan.TicksPerSecond / _time.TimestampFrequency);

    // Rounded up: a timer a tick short would find the place still taken.
    private TimeSpan RoundedUp(long stamps) =>
        TimeSpan.FromTicks(Math.Max(0, ((stamps * TimeSpan.TicksPerSecond) + _time.TimestampFrequency - 1) / _time.TimestampFrequency));

    private sealed record Serve(string Throttle);

    private sealed class Pool(SendSlotPool places)
    {
        public SendSlotPool Places { get; } = places;

        public ITimer? Timer { get; set; }
    }
}
