using System.Diagnostics;
using Messaging.Testing;

namespace Messaging.Engine.Tests.Aws;

/// <summary>The benchmark provider's answer clock: never early, and an earlier time added later is not held behind a later one.</summary>
public sealed class StopwatchDeadlinesTests
{
    [Fact]
    public async Task No_wait_ends_before_its_time()
    {
        using var deadlines = new StopwatchDeadlines();
        var start = Stopwatch.GetTimestamp();
        var times = Enumerable.Range(1, 20).Select(i => start + (Stopwatch.Frequency * (i % 7) * 3 / 1000)).ToList();
        var ended = await Task.WhenAll(times.Select(async at =>
        {
            await deadlines.At(at, CancellationToken.None);
            return (At: at, EndedAt: Stopwatch.GetTimestamp());
        }));

        Assert.All(ended, e => Assert.True(e.EndedAt >= e.At, $"ended {Stopwatch.GetElapsedTime(e.EndedAt, e.At).TotalMilliseconds:0.000} ms early"));
    }

    [Fact]
    public async Task An_earlier_time_added_after_a_later_one_ends_first()
    {
        using var deadlines = new StopwatchDeadlines();
        var now = Stopwatch.GetTimestamp();
        var lateAt = now + (Stopwatch.Frequency * 60);
        var late = deadlines.At(lateAt, CancellationToken.None);
        await AwaitCondition.UntilAsync(() => Task.FromResult(deadlines.WaitingFor == lateAt), TimeSpan.FromSeconds(10), "the clock waiting for the later time");
        var soon = deadlines.At(Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 50), CancellationToken.None);

        // Were the clock's thread left asleep until the later time, this would wait a minute.
        await soon.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(late.IsCompleted);
    }

    [Fact]
    public async Task Waits_still_pending_are_cancelled_when_it_is_disposed()
    {
        var deadlines = new StopwatchDeadlines();
        var pending = deadlines.At(Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 60), CancellationToken.None);

        deadlines.Dispose();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
