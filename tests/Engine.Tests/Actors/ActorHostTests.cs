using Messaging.Engine.Actors;

namespace Messaging.Engine.Tests.Actors;

public sealed class ActorHostTests
{
    [Fact]
    public async Task Stopping_lets_every_actor_handle_what_is_queued_and_then_refuses_new_messages()
    {
        var kit = new ActorTestKit(o => o.MailboxCapacity = 200);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;
        var stoppedActors = 0;
        var actor = kit.Host.Spawn<int>("worker", () => new LambdaActor<int>(
            async (_, _) =>
            {
                await gate.Task;
                Interlocked.Increment(ref handled);
            },
            stopped: () => Interlocked.Increment(ref stoppedActors)));
        var registry = kit.Host.CreateRegistry<string, int>("entity", _ => new LambdaActor<int>(
            async (_, _) =>
            {
                await gate.Task;
                Interlocked.Increment(ref handled);
            },
            stopped: () => Interlocked.Increment(ref stoppedActors)));
        for (var i = 0; i < 100; i++)
        {
            await actor.TellAsync(i, default);
            await registry.TellAsync($"key-{i % 10}", i, default);
        }

        var stopping = kit.Host.StopAsync(CancellationToken.None);
        Assert.False(stopping.IsCompleted);
        gate.SetResult();
        await stopping.WaitAsync(ActorTestKit.Deadline);

        Assert.Equal(200, handled);
        Assert.Equal(11, stoppedActors);
        Assert.Equal(0, registry.LiveCount);
        await Assert.ThrowsAsync<ActorHostStoppedException>(() => actor.TellAsync(1, default).AsTask());
        await Assert.ThrowsAsync<ActorHostStoppedException>(() => registry.TellAsync("key-0", 1, default).AsTask());
        Assert.Empty(kit.DeadLetters.Received);
    }

    [Fact]
    public async Task A_stop_that_runs_out_of_time_fails_and_dead_letters_what_was_still_queued()
    {
        var kit = new ActorTestKit();
        var handled = 0;
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = kit.Host.Spawn<Probe>("stuck", () => new LambdaActor<Probe>(async (m, ct) =>
        {
            first.TrySetResult();
            // Handles nothing until the host aborts.
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            Interlocked.Increment(ref handled);
        }));
        var asks = Enumerable.Range(0, 5)
            .Select(i => actor.AskAsync<string>(r => new Probe($"m{i}", r), ActorTestKit.Deadline, default))
            .ToList();
        await first.Task.WaitAsync(ActorTestKit.Deadline);

        using var outOfTime = new CancellationTokenSource();
        await outOfTime.CancelAsync();
        await kit.Host.StopAsync(outOfTime.Token).WaitAsync(ActorTestKit.Deadline);

        Assert.Equal(0, handled);
        // The message being handled was cancelled (escalated); the four queued ones were abandoned.
        await Assert.ThrowsAsync<PoisonMessageException>(() => asks[0]);
        foreach (var ask in asks.Skip(1))
        {
            await Assert.ThrowsAsync<ActorHostStoppedException>(() => ask);
        }

        Assert.Equal(5, kit.DeadLetters.Received.Count);
    }

    [Fact]
    public async Task Stopping_again_and_disposing_after_a_stop_are_harmless()
    {
        var kit = new ActorTestKit();
        var registry = kit.Host.CreateRegistry<string, int>("entity", _ => new LambdaActor<int>((_, _) => ValueTask.CompletedTask));
        await registry.TellAsync("a", 1, default);

        await kit.Host.StopAsync(CancellationToken.None);
        await registry.DisposeAsync();
        await kit.Host.StopAsync(CancellationToken.None);
        await kit.Host.DisposeAsync();

        Assert.Equal(0, registry.LiveCount);
    }
}
