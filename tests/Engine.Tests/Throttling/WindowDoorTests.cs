using System.Diagnostics;
using Messaging.Engine.Throttling;
using Messaging.Testing;

namespace Messaging.Engine.Tests.Throttling;

/// <summary>The real clock's door (<see cref="WindowDoor"/>): a thread of its own, so these run on real time.</summary>
public sealed class WindowDoorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_door_opens_once_when_last_asked_and_never_before()
    {
        var opened = new List<long>();
        var door = WindowDoor.Precise(() => { lock (opened) { opened.Add(Stopwatch.GetTimestamp()); } }, "test", TimeSpan.FromSeconds(30));

        door.OpenIn(TimeSpan.FromMilliseconds(200));
        var asked = Stopwatch.GetTimestamp();
        door.OpenIn(TimeSpan.FromMilliseconds(300));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Count(opened) > 0), Deadline, "the door opens");

        // Asked again for later before the first time came: it opened for the second time only (the first would have
        // been some 100 ms earlier).
        long at;
        lock (opened)
        {
            at = opened[0];
        }

        Assert.True(Stopwatch.GetElapsedTime(asked, at) >= TimeSpan.FromMilliseconds(300), $"opened after {Stopwatch.GetElapsedTime(asked, at).TotalMilliseconds:F2} ms");

        // Asked again, it opens again.
        door.OpenIn(TimeSpan.FromTicks(1));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Count(opened) == 2), Deadline, "the door opens again");
    }

    [Fact]
    public async Task Asked_for_sooner_while_waiting_the_door_opens_at_the_sooner_time()
    {
        var opened = 0;
        var door = WindowDoor.Precise(() => Interlocked.Increment(ref opened), "test", TimeSpan.FromSeconds(30));

        // Its thread is waiting for the first time when asked for a sooner one (five minutes is far past the deadline).
        door.OpenIn(TimeSpan.FromMinutes(5));
        door.OpenIn(TimeSpan.FromMilliseconds(1));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Volatile.Read(ref opened) == 1), Deadline, "the door opens at the sooner time");
    }

    [Fact]
    public async Task A_door_whose_thread_ended_after_an_idle_spell_still_opens_when_asked()
    {
        var opened = 0;
        var idle = TimeSpan.FromMilliseconds(20);
        var door = WindowDoor.Precise(() => Interlocked.Increment(ref opened), "test", idle);

        door.OpenIn(TimeSpan.FromMilliseconds(1));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Volatile.Read(ref opened) == 1), Deadline, "the door opens");
        await AwaitCondition.UntilAsync(() => Task.FromResult(!door.HoldsAThread), Deadline, "the door's thread ends when idle");

        door.OpenIn(TimeSpan.FromMilliseconds(1));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Volatile.Read(ref opened) == 2), Deadline, "the door opens after its thread ended");
    }

    private static int Count(List<long> opened)
    {
        lock (opened)
        {
            return opened.Count;
        }
    }
}
