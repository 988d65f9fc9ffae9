namespace Messaging.Engine.Cluster;

/// <summary>
/// One throttle's places at the allocator. A place is granted only while fewer than ⌊rate⌋ (one below 1/s) are busy,
/// and stays busy until a window (a second, or 1 ÷ rate below 1/s) after the provider can last have counted its call:
/// its return, less the provider's work on an answered call, or, never returned, its grant plus the longest the asker
/// said it could hold it. Of any ⌊rate⌋ + 1 calls counted in one window, the last granted would have found the others
/// busy, so no window at the provider holds more. A rate that falls leaves its extra busy places to run out, and they
/// count meanwhile. Times are the allocator clock's timestamps.
/// </summary>
internal sealed class SendSlotPool(long quietUntil, long frequency)
{
    private readonly Queue<Taker> _takers = new();
    private readonly List<Place> _busy = [];
    private int _places;
    private long _window;
    private long _nextLease = Random.Shared.NextInt64(1, long.MaxValue / 2);

    /// <summary>An ask waiting for a place: who, when it arrived, and its <see cref="TakeSendSlot"/> limits in stamps.</summary>
    internal readonly record struct Taker(object Asker, long ArrivedAt, long HoldAtMost, long WaitAtMost);

    /// <summary>What <see cref="Serve"/> decided for one taker: a lease, or none (<see cref="Lease"/> 0) when its wait ran out.</summary>
    internal readonly record struct Answer(Taker Taker, long Lease, long Queued);

    /// <summary>A busy place: until when, and the lease it was granted as (0 once returned).</summary>
    private readonly record struct Place(long FreeAt, long Lease);

    public void SetRate(double rate)
    {
        _places = rate >= 1 ? (int)Math.Floor(rate) : 1;
        _window = (long)Math.Ceiling((rate >= 1 ? 1 : 1 / rate) * frequency);
    }

    public void Enqueue(Taker taker) => _takers.Enqueue(taker);

    /// <summary>Gives a place back (see <see cref="ReturnSendSlot"/>); a lease that already ran out is ignored.</summary>
    public void Return(long lease, bool sent, long countedBefore, long now)
    {
        var at = _busy.FindIndex(p => p.Lease == lease);
        if (at >= 0)
        {
            _busy[at] = new Place(sent ? now - countedBefore + _window : now, 0);
        }
    }

    /// <summary>
    /// Grants places to the takers in arrival order and refuses those whose wait ran out; returns the answers and when to
    /// serve again (null when nobody waits).
    /// </summary>
    public (List<Answer> Answers, long? Next) Serve(long now)
    {
        var answers = new List<Answer>();
        _busy.RemoveAll(p => p.FreeAt <= now);
        while (_takers.TryPeek(out var taker))
        {
            var giveUpAt = taker.ArrivedAt + taker.WaitAtMost;
            if (giveUpAt <= now)
            {
                answers.Add(new Answer(_takers.Dequeue(), 0, now - taker.ArrivedAt));
                continue;
            }

            if (now < quietUntil || _busy.Count >= _places)
            {
                var freeAt = now < quietUntil ? quietUntil : _busy.Min(p => p.FreeAt);
                return (answers, Math.Min(freeAt, giveUpAt));
            }

            _takers.Dequeue();
            var lease = _nextLease++;
            // Until it is returned, it is held as long as the taker said it could be, and counted up to then.
            _busy.Add(new Place(now + taker.HoldAtMost + _window, lease));
            answers.Add(new Answer(taker, lease, now - taker.ArrivedAt));
        }

        return (answers, null);
    }
}
