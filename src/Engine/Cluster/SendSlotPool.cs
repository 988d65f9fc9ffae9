namespace Messaging.Engine.Cluster;

/// <summary>
/// One throttle's places at the allocator: ⌊rate⌋ of them (one below 1/s), each reused only a window (a second, or
/// 1 ÷ rate below 1/s) after the provider can last have counted its call — its return, less the provider's work on an
/// answered call, or, never returned, its grant plus the longest the asker said it could hold it. Any window at the
/// provider then holds at most one call per place. Times are the allocator clock's timestamps.
/// </summary>
internal sealed class SendSlotPool(long freeFrom, long frequency)
{
    private readonly Queue<Taker> _takers = new();
    private Place[] _places = [];
    private double _rate;
    private long _window;
    private long _nextLease = Random.Shared.NextInt64(1, long.MaxValue / 2);

    /// <summary>An ask waiting for a place: who, when it arrived, and its <see cref="TakeSendSlot"/> limits in stamps.</summary>
    internal readonly record struct Taker(object Asker, long ArrivedAt, long HoldAtMost, long WaitAtMost);

    /// <summary>What <see cref="Serve"/> decided for one taker: a lease, or none (<see cref="Lease"/> 0) when its wait ran out.</summary>
    internal readonly record struct Answer(Taker Taker, long Lease, long Queued);

    private struct Place
    {
        public long FreeAt;
        public long Lease;
    }

    /// <summary>Sets the rate: more places are free at once; fewer wait for every call of the dropped ones.</summary>
    public void SetRate(double rate, long now)
    {
        if (rate == _rate)
        {
            return;
        }

        _rate = rate;
        _window = Stamps(rate >= 1 ? 1 : 1 / rate);
        var count = rate >= 1 ? (int)Math.Floor(rate) : 1;
        var places = new Place[count];
        Array.Copy(_places, places, Math.Min(count, _places.Length));
        for (var i = _places.Length; i < count; i++)
        {
            places[i].FreeAt = Math.Max(now, freeFrom);
        }

        // A dropped place's call may still be counted: every remaining place waits until it could not be.
        var dropped = _places.Skip(count).Select(p => p.FreeAt).DefaultIfEmpty(long.MinValue).Max();
        for (var i = 0; i < places.Length; i++)
        {
            places[i].FreeAt = Math.Max(places[i].FreeAt, dropped);
        }

        _places = places;
    }

    public void Enqueue(Taker taker) => _takers.Enqueue(taker);

    /// <summary>Gives a place back (see <see cref="ReturnSendSlot"/>); a lease already expired and reused is ignored.</summary>
    public void Return(long lease, bool sent, long countedBefore, long now)
    {
        for (var i = 0; i < _places.Length; i++)
        {
            if (_places[i].Lease == lease)
            {
                _places[i] = new Place { FreeAt = sent ? now - countedBefore + _window : now };
                return;
            }
        }
    }

    /// <summary>
    /// Grants free places to the takers in arrival order and refuses those whose wait ran out; returns the answers and
    /// when to serve again (null when nobody waits).
    /// </summary>
    public (List<Answer> Answers, long? Next) Serve(long now)
    {
        var answers = new List<Answer>();
        while (_takers.TryPeek(out var taker))
        {
            var giveUpAt = taker.ArrivedAt + taker.WaitAtMost;
            if (giveUpAt <= now)
            {
                answers.Add(new Answer(_takers.Dequeue(), 0, now - taker.ArrivedAt));
                continue;
            }

            var free = FirstFree();
            if (_places[free].FreeAt > now)
            {
                return (answers, Math.Min(_places[free].FreeAt, giveUpAt));
            }

            _takers.Dequeue();
            var lease = _nextLease++;
            // Until it is returned, it is held as long as the taker said it could be, and counted up to then.
            _places[free] = new Place { FreeAt = now + taker.HoldAtMost + _window, Lease = lease };
            answers.Add(new Answer(taker, lease, now - taker.ArrivedAt));
        }

        return (answers, null);
    }

    private int FirstFree()
    {
        var first = 0;
        for (var i = 1; i < _places.Length; i++)
        {
            if (_places[i].FreeAt < _places[first].FreeAt)
            {
                first = i;
            }
        }

        return first;
    }

    private long Stamps(double seconds) => (long)Math.Ceiling(seconds * frequency);
}
