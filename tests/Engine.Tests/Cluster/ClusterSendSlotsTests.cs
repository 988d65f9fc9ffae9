using System.Diagnostics;
using Akka.Actor;
using Messaging.Engine.Cluster;
using Messaging.Engine.Throttling;
using Messaging.Engine.Aws;
using Messaging.Engine.Tests.Throttling;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Engine.Tests.Cluster;

/// <summary>
/// A rate smaller than the number of nodes (2 emails a second over 3 nodes) cannot be split: the nodes take send slots
/// from the cluster's one allocator instead.
/// </summary>
public sealed class ClusterSendSlotsTests : IAsyncLifetime
{
    private const double AccountRate = 2;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly InProcessCluster _cluster = new(AccountRate);
    private readonly AnsweringProvider _provider = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    /// <summary>One node's sends: its throttles (its share of the cluster) and its gate, with the cluster's slots.</summary>
    private Func<Task<AwsResult<string>>> Sender(InProcessCluster.Node node, TimeProvider? slotClock = null, IActorRef? allocator = null)
    {
        var gate = _provider.Gate(node.Throttles, new ClusterSendSlots(() => allocator ?? node.SendSlots, slotClock ?? TimeProvider.System));
        return () => gate.SendAsync(node.Throttles.Email, AnsweringProvider.Email(), default);
    }

    private async Task<InProcessCluster.Node[]> ThreeNodesAsync()
    {
        var first = _cluster.Start(join: null);
        var nodes = new[] { first, _cluster.Start(first), _cluster.Start(first) };
        foreach (var node in nodes)
        {
            // Up and sending: its throttles give a permit (the rate share released them).
            using var timeout = new CancellationTokenSource(Deadline);
            await node.Throttles.Email.AcquireAsync(0, timeout.Token);
        }

        return nodes;
    }

    [Fact]
    public async Task Each_slot_is_a_whole_interval_after_the_last_and_a_new_allocator_gives_none_in_its_first_second()
    {
        var time = new FakeTimeProvider();
        using var system = ActorSystem.Create("slots");
        var allocator = system.ActorOf(Props.Create(() => new SendSlotAllocator(time)));
        var interval = ClusterSendSlots.IntervalFor(AccountRate);
        async Task<TimeSpan> TakeAsync(string throttle) => (await allocator.Ask<SendSlot>(new TakeSendSlot(throttle, AccountRate), Deadline)).Wait;

        // Just started (it may have moved from a node whose slots are still in their second): nothing for a second.
        Assert.Equal(SendThrottle.Window, await TakeAsync("email"));
        Assert.Equal(SendThrottle.Window + interval, await TakeAsync("email"));
        Assert.Equal(SendThrottle.Window, await TakeAsync("sms"));

        // Later, a slot is free at once, and the next one an interval on.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.Zero, await TakeAsync("email"));
        time.Advance(interval / 4);
        Assert.Equal(interval - (interval / 4), await TakeAsync("email"));
    }

    [Fact]
    public async Task The_slot_messages_cross_nodes_through_their_own_serializer_as_equal_values()
    {
        await using var cluster = new InProcessCluster(AccountRate);
        var system = cluster.Start(join: null).System;
        foreach (var message in new object[] { new TakeSendSlot("sms +15550100", 0.5), new SendSlot(TimeSpan.FromMilliseconds(1_234.5)) })
        {
            var serializer = system.Serialization.FindSerializerFor(message);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);

            Assert.IsType<SendSlotSerializer>(serializer);
            Assert.Equal(message, system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest));
        }
    }

    [Fact]
    public async Task Three_nodes_sharing_two_sends_a_second_never_put_three_in_one_second()
    {
        var nodes = await ThreeNodesAsync();
        Assert.All(nodes, n => Assert.Equal(3, n.Throttles.Nodes));
        // Each node alone would allow one call in every second: three a second together, over the account's two.
        var senders = nodes.Select(n => Sender(n)).ToList();

        var sends = senders.SelectMany(send => Enumerable.Range(0, 4).Select(_ => send())).ToList();
        await Task.WhenAll(sends).WaitAsync(Deadline);

        Assert.All(sends, send => Assert.True(send.Result.IsSuccess, send.Result.Error?.ToString()));
        var times = _provider.Arrivals.Select(a => a.At).Order().ToList();
        Assert.Equal(12, times.Count);
        // Any three consecutive arrivals span at least a second: no 1-second window holds more than two.
        var tightest = Enumerable.Range(0, times.Count - 2).Min(i => Stopwatch.GetElapsedTime(times[i], times[i + 2]));
        Assert.True(tightest >= TimeSpan.FromSeconds(1), $"three sends within {tightest.TotalMilliseconds:0} ms: {string.Join(", ", times.Select(t => Stopwatch.GetElapsedTime(times[0], t).TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public async Task A_send_that_gets_no_answer_from_the_allocator_fails_as_never_sent()
    {
        var nodes = await ThreeNodesAsync();
        // An allocator that never answers (moving, or on the far side of a partition).
        var silent = nodes[0].System.ActorOf(Props.Create(() => new Silent()));

        var refused = (await Sender(nodes[0], allocator: silent)().WaitAsync(Deadline)).Error!;

        // Transient and not of unknown outcome: the send is retried, not recorded unknown.
        Assert.Equal(ProviderErrorKind.Transient, refused.Kind);
        Assert.False(refused.OutcomeUnknown);
        Assert.Contains("No email send slot", refused.Message, StringComparison.Ordinal);
        Assert.Empty(_provider.Arrivals);
    }

    [Fact]
    public async Task A_node_too_slow_to_use_its_slots_does_not_send_late_but_fails_as_never_sent()
    {
        var nodes = await ThreeNodesAsync();
        var refused = (await Sender(nodes[0], new StallingClock())().WaitAsync(Deadline)).Error!;

        Assert.Equal(ProviderErrorKind.Transient, refused.Kind);
        Assert.False(refused.OutcomeUnknown);
        Assert.Contains("missed", refused.Message, StringComparison.Ordinal);
        Assert.Empty(_provider.Arrivals);
    }

    private sealed class Silent : ReceiveActor
    {
        public Silent() => ReceiveAny(_ => { });
    }

    /// <summary>A clock on a machine so stalled that a second passes between any two readings.</summary>
    private sealed class StallingClock : TimeProvider
    {
        private long _readings;

        public override long GetTimestamp() => base.GetTimestamp() + (Interlocked.Increment(ref _readings) * TimestampFrequency);
    }
}
