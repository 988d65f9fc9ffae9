using System.Collections.Concurrent;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// What the snapshot store read for a recovery, kept for the journal's two requests that follow (highest sequence
/// number, replay), so that recovering an entity costs one round trip instead of three.
/// </summary>
/// <remarks>
/// Bounded: when full, a read is not kept and the journal queries as usual (stale reads are swept out at most once
/// per <see cref="MaxAge"/>). An entry older than
/// <see cref="MaxAge"/> is ignored, and any change to an id drops its entry, so a stale read is never served; a read
/// that a change overlapped (forgotten after the read began, before it was kept) is not kept.
/// </remarks>
internal sealed class RecoveryPrefetches(int capacity, TimeProvider timeProvider)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    // Changes per stripe of ids, bounded: a read is kept only if no change to its stripe began since it started.
    private const int ChangeStripes = 1024;

    private readonly ConcurrentDictionary<string, (RecoveryRead Read, DateTimeOffset At)> _entries = new(StringComparer.Ordinal);
    private readonly long[] _changes = new long[ChangeStripes];
    private long _nextSweepTicks;
    private long _sweeps;

    public int Count => _entries.Count;

    /// <summary>Walks of the whole cache for stale reads so far, for tests.</summary>
    public long Sweeps => Interlocked.Read(ref _sweeps);

    /// <summary>Taken before a recovery read starts, and given to <see cref="Keep"/> with its result.</summary>
    public long ChangesTo(string persistenceId) => Volatile.Read(ref _changes[Stripe(persistenceId)]);

    public void Keep(string persistenceId, RecoveryRead read, long changesBeforeRead)
    {
        if (ChangesTo(persistenceId) != changesBeforeRead)
        {
            return;
        }

        if (_entries.Count >= capacity)
        {
            SweepStale();
        }

        if (_entries.Count < capacity)
        {
            var entry = (read, timeProvider.GetUtcNow());
            _entries[persistenceId] = entry;
            // A change that began between the check above and now may have forgotten the id before it was kept.
            if (ChangesTo(persistenceId) != changesBeforeRead)
            {
                _entries.TryRemove(new KeyValuePair<string, (RecoveryRead, DateTimeOffset)>(persistenceId, entry));
            }
        }
    }

    /// <summary>The kept read, if fresh; taken out when nothing is left to replay from it (<paramref name="take"/>: always).</summary>
    public RecoveryRead? Find(string persistenceId, bool take)
    {
        if (!_entries.TryGetValue(persistenceId, out var entry))
        {
            return null;
        }

        var fresh = timeProvider.GetUtcNow() - entry.At <= MaxAge;
        if (take || !fresh || (entry.Read.Events.Count == 0 && entry.Read.EventsComplete))
        {
            _entries.TryRemove(new KeyValuePair<string, (RecoveryRead, DateTimeOffset)>(persistenceId, entry));
        }

        return fresh ? entry.Read : null;
    }

    public void Forget(string persistenceId)
    {
        Interlocked.Increment(ref _changes[Stripe(persistenceId)]);
        if (!_entries.IsEmpty)
        {
            _entries.TryRemove(persistenceId, out _);
        }
    }

    // Reads nobody came for (a snapshot loaded outside a recovery) would otherwise fill it for good. At most one walk
    // per MaxAge: a cache full of fresh reads is not walked on every Keep, and every read a walk spares is stale by the next.
    private void SweepStale()
    {
        var now = timeProvider.GetUtcNow();
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweepTicks, (now + MaxAge).UtcTicks, due) != due)
        {
            return;
        }

        Interlocked.Increment(ref _sweeps);
        foreach (var (id, entry) in _entries)
        {
            if (now - entry.At > MaxAge)
            {
                _entries.TryRemove(new KeyValuePair<string, (RecoveryRead, DateTimeOffset)>(id, entry));
            }
        }
    }

    private static int Stripe(string persistenceId) =>
        (int)((uint)StringComparer.Ordinal.GetHashCode(persistenceId) % ChangeStripes);
}
