using System.Collections.Concurrent;
using Messaging.Engine.Actors;
using Messaging.Testing;

namespace Messaging.Engine.Tests.Actors;

public sealed class EntityRegistryTests
{
    /// <summary>Counts per key, kept in a "store" the actor loads at start, like a journal.</summary>
    private sealed class Counters
    {
        public ConcurrentDictionary<string, int> Stored { get; } = new();

        public int Started;
        public int Stopped;

        public Actor<Probe> Create(string key)
        {
            var count = 0;
            return new LambdaActor<Probe>(
                async (m, _) =>
                {
                    await Task.Yield();
                    count++;
                    Stored[key] = count;
                    m.Reply?.Complete($"{key}={count}");
                },
                started: _ =>
                {
                    Interlocked.Increment(ref Started);
                    count = Stored.GetValueOrDefault(key);
                    return ValueTask.CompletedTask;
                },
                stopped: () => Interlocked.Increment(ref Stopped));
        }
    }

    [Fact]
    public async Task The_first_message_to_a_key_creates_its_actor_and_later_ones_reach_the_same_actor()
    {
        await using var kit = new ActorTestKit();
        var counters = new Counters();
        var registry = kit.Host.CreateRegistry<string, Probe>("counter", counters.Create);

        await registry.AskAsync<string>("a", r => new Probe("x", r), ActorTestKit.Deadline, default);
        await registry.AskAsync<string>("b", r => new Probe("x", r), ActorTestKit.Deadline, default);
        var third = await registry.AskAsync<string>("a", r => new Probe("x", r), ActorTestKit.Deadline, default);

        Assert.Equal("a=2", third);
        Assert.Equal(2, registry.LiveCount);
        Assert.Equal(2, counters.Started);
    }

    [Fact]
    public async Task An_idle_actor_is_passivated_and_the_next_message_revives_it_with_its_state()
    {
        await using var kit = new ActorTestKit(o => o.PassivateAfter = TimeSpan.FromMinutes(2));
        var counters = new Counters();
        var registry = kit.Host.CreateRegistry<string, Probe>("counter", counters.Create);
        await registry.AskAsync<string>("a", r => new Probe("x", r), ActorTestKit.Deadline, default);
        await registry.AskAsync<string>("a", r => new Probe("x", r), ActorTestKit.Deadline, default);

        kit.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, registry.PassivateIdle());
        kit.Time.Advance(TimeSpan.FromMinutes(1.5));
        Assert.Equal(1, registry.PassivateIdle());
        await AwaitCondition.UntilAsync(() => Task.FromResult(registry.LiveCount == 0), ActorTestKit.Deadline, "the actor leaves memory");
        Assert.Equal(1, counters.Stopped);

        var revived = await registry.AskAsync<string>("a", r => new Probe("x", r), ActorTestKit.Deadline, default);

        Assert.Equal("a=3", revived);
        Assert.Equal(2, counters.Started);
        Assert.Equal(1, registry.PassivatedCount);
    }

    [Fact]
    public async Task Past_the_live_cap_the_least_recently_active_actors_are_passivated_at_once()
    {
        await using var kit = new ActorTestKit(o => (o.MaxLive, o.PassivateAfter) = (20, TimeSpan.FromHours(1)));
        var counters = new Counters();
        var registry = kit.Host.CreateRegistry<string, Probe>("counter", counters.Create);
        for (var i = 0; i < 20; i++)
        {
            await registry.AskAsync<string>($"k{i}", r => new Probe("x", r), ActorTestKit.Deadline, default);
            kit.Time.Advance(TimeSpan.FromSeconds(1));
        }

        // k0 is used again: now k1, k2 and k3 are the least recently active. None has been idle for an hour.
        await registry.AskAsync<string>("k0", r => new Probe("x", r), ActorTestKit.Deadline, default);
        kit.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(20, registry.LiveCount);

        // The 21st goes past the cap: down to nine tenths of it, the three least recently active leave.
        await registry.AskAsync<string>("k20", r => new Probe("x", r), ActorTestKit.Deadline, default);
        await AwaitCondition.UntilAsync(() => Task.FromResult(registry.LiveCount == 18), ActorTestKit.Deadline, "the registry is back under its cap");
        Assert.Equal(3, registry.PassivatedCount);
        var started = counters.Started;
        foreach (var key in new[] { "k0" }.Concat(Enumerable.Range(4, 17).Select(i => $"k{i}")))
        {
            await registry.AskAsync<string>(key, r => new Probe("x", r), ActorTestKit.Deadline, default);
        }

        Assert.Equal(started, counters.Started);

        // A passivated one comes back with its state.
        Assert.Equal("k1=2", await registry.AskAsync<string>("k1", r => new Probe("x", r), ActorTestKit.Deadline, default));
        Assert.Equal(started + 1, counters.Started);
    }

    [Fact]
    public async Task An_actor_with_queued_messages_is_not_passivated()
    {
        await using var kit = new ActorTestKit();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = kit.Host.CreateRegistry<string, int>("slow", _ => new LambdaActor<int>(async (_, _) => await gate.Task));
        await registry.TellAsync("a", 1, default);
        await registry.TellAsync("a", 2, default);

        kit.Time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(0, registry.PassivateIdle());
        gate.SetResult();
    }

    [Fact]
    public async Task Messages_racing_with_passivation_are_all_handled_by_one_actor_at_a_time_per_key()
    {
        await using var kit = new ActorTestKit(o => o.PassivateAfter = TimeSpan.FromMilliseconds(1));
        var counters = new Counters();
        var perKeyInside = new ConcurrentDictionary<string, int>();
        var overlaps = 0;
        var handled = 0;
        var registry = kit.Host.CreateRegistry<string, int>("racy", key => new LambdaActor<int>(async (_, _) =>
        {
            if (perKeyInside.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            await Task.Yield();
            perKeyInside.AddOrUpdate(key, 0, (_, n) => n - 1);
            Interlocked.Increment(ref handled);
        }));
        using var stop = new CancellationTokenSource();
        var passivator = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                kit.Time.Advance(TimeSpan.FromSeconds(1));
                registry.PassivateIdle();
                await Task.Yield();
            }
        });

        await Task.WhenAll(Enumerable.Range(0, 4).Select(sender => Task.Run(async () =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                await registry.TellAsync($"k{i % 8}", i, default);
            }
        })));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Volatile.Read(ref handled) == 20_000), ActorTestKit.Deadline, "all 20,000 handled");
        await stop.CancelAsync();
        await passivator;

        Assert.Equal(0, overlaps);
        Assert.True(registry.PassivatedCount > 0, "the test should have passivated actors while messages flowed");
        Assert.Empty(kit.DeadLetters.Received);
    }
}
