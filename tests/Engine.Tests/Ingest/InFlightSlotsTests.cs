using Messaging.Engine.Ingest;
using Messaging.Testing;

namespace Messaging.Engine.Tests.Ingest;

public sealed class InFlightSlotsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    // Long enough that no test here depends on how fast this machine is.
    private static readonly TimeSpan LongLinger = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_lane_with_free_slots_hands_a_full_receive_at_once_and_never_more_than_its_capacity()
    {
        using var slots = new InFlightSlots(25, LongLinger);

        Assert.Equal(10, await slots.TakeAsync(10, default).WaitAsync(Deadline));
        Assert.Equal(15, slots.Free);

        using var small = new InFlightSlots(3, LongLinger);
        Assert.Equal(3, await small.TakeAsync(10, default).WaitAsync(Deadline));
    }

    [Fact]
    public async Task In_a_full_lane_slots_coming_back_one_at_a_time_are_gathered_into_full_receives()
    {
        using var slots = new InFlightSlots(20, LongLinger);
        Assert.Equal(20, await slots.TakeAsync(20, default));

        // Two receivers wait; sends finish one at a time.
        var first = slots.TakeAsync(10, default);
        var second = slots.TakeAsync(10, default);
        slots.Release(1);
        await AwaitCondition.UntilAsync(() => Task.FromResult(slots.Free == 0), Deadline, "a receiver took the slot");
        Assert.False(first.IsCompleted, "a receive for one message");

        for (var i = 0; i < 19; i++)
        {
            slots.Release(1);
        }

        Assert.Equal(10, await first.WaitAsync(Deadline));
        Assert.Equal(10, await second.WaitAsync(Deadline));
        Assert.Equal(0, slots.Free);
    }

    [Fact]
    public async Task A_receiver_takes_what_came_back_when_the_linger_ends_and_a_cancelled_one_gives_its_slots_back()
    {
        using var shortLinger = new InFlightSlots(10, TimeSpan.FromMilliseconds(1));
        Assert.Equal(10, await shortLinger.TakeAsync(10, default));
        var waiting = shortLinger.TakeAsync(10, default);
        shortLinger.Release(3);
        Assert.InRange(await waiting.WaitAsync(Deadline), 1, 3);

        using var slots = new InFlightSlots(10, LongLinger);
        Assert.Equal(10, await slots.TakeAsync(10, default));
        using var stop = new CancellationTokenSource();
        var cancelled = slots.TakeAsync(10, stop.Token);
        slots.Release(4);
        await AwaitCondition.UntilAsync(() => Task.FromResult(slots.Free == 0), Deadline, "the receiver took the four");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(4, slots.Free);
    }
}
