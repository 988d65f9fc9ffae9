namespace Messaging.Engine.Reputation;

/// <summary>Sends, hard bounces and complaints in one hour for one configuration set.</summary>
public sealed record WindowCounts(long Sent, long Bounces, long Complaints)
{
    public static WindowCounts Zero { get; } = new(0, 0, 0);

    public WindowCounts Plus(WindowCounts other) => new(Sent + other.Sent, Bounces + other.Bounces, Complaints + other.Complaints);

    public double? BounceRate(int minimumSends) => Sent >= minimumSends ? (double)Bounces / Sent : null;

    public double? ComplaintRate(int minimumSends) => Sent >= minimumSends ? (double)Complaints / Sent : null;
}

/// <summary>
/// This node's counts since they were last written: an increment on the send path is a dictionary update under a lock
/// held for nanoseconds; the guard drains the counts into the shared table at each evaluation.
/// </summary>
public sealed class ReputationCounter(TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private Dictionary<(long WindowStart, string ConfigurationSet), WindowCounts> _pending = [];

    public void CountSent(string? configurationSet) => Add(configurationSet, timeProvider.GetUtcNow(), new WindowCounts(1, 0, 0));

    /// <summary>A hard bounce, counted in the hour it was reported (which is how AWS reports its own rate too).</summary>
    public void CountBounce(string? configurationSet) => Add(configurationSet, timeProvider.GetUtcNow(), new WindowCounts(0, 1, 0));

    public void CountComplaint(string? configurationSet) => Add(configurationSet, timeProvider.GetUtcNow(), new WindowCounts(0, 0, 1));

    /// <summary>Takes everything counted so far; counting goes on into a fresh set.</summary>
    public IReadOnlyDictionary<(long WindowStart, string ConfigurationSet), WindowCounts> Drain()
    {
        lock (_gate)
        {
            var taken = _pending;
            _pending = [];
            return taken;
        }
    }

    /// <summary>Puts counts back after a failed write, so none are lost.</summary>
    public void Restore(IReadOnlyDictionary<(long WindowStart, string ConfigurationSet), WindowCounts> counts)
    {
        lock (_gate)
        {
            foreach (var (key, value) in counts)
            {
                _pending[key] = _pending.TryGetValue(key, out var current) ? current.Plus(value) : value;
            }
        }
    }

    /// <summary>The start of the UTC hour holding <paramref name="at"/>, in Unix milliseconds.</summary>
    public static long WindowOf(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;

    private void Add(string? configurationSet, DateTimeOffset at, WindowCounts counts)
    {
        var key = (WindowOf(at), configurationSet ?? "");
        lock (_gate)
        {
            _pending[key] = _pending.TryGetValue(key, out var current) ? current.Plus(counts) : counts;
        }
    }
}
