namespace Messaging.Engine.Feedback;

/// <summary>
/// How far this node has read the feedback queue: the start of its latest receive that came back empty. Every event
/// published before that moment has been received and handled, so "no Send event by then" means none is coming.
/// </summary>
public sealed class FeedbackProgress
{
    private long _drainedAtTicks = long.MinValue;

    /// <summary>When the feedback queue was last seen drained; null while it never was (or no feedback queue is read).</summary>
    public DateTimeOffset? DrainedAt =>
        Interlocked.Read(ref _drainedAtTicks) is var ticks && ticks == long.MinValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    /// <summary>A receive started at <paramref name="receiveStartedAt"/> came back empty. Never moves backwards.</summary>
    public void Drained(DateTimeOffset receiveStartedAt)
    {
        var ticks = receiveStartedAt.UtcTicks;
        var seen = Interlocked.Read(ref _drainedAtTicks);
        while (ticks > seen && Interlocked.CompareExchange(ref _drainedAtTicks, ticks, seen) is var before && before != seen)
        {
            seen = before;
        }
    }
}
