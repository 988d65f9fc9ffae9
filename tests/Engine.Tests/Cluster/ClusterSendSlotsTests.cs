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
        var gate = _provider.Gate(node.Throttles, new ClusterSendSlots(() => allocator ?? node.SendSlots, slotClock ?? TimeProvider.System, AnsweringProvider.RequestTimeout, TimeSpan.Zero));
        return () => gate.SendAsync(node.Throttles.Email, null, AnsweringProvider.Email(), default);
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

    /// <summary>An allocator on fake time, as a singleton would run it, and asks to it that the test can watch.</summary>
    private sealed class FakeTimeAllocator : IDisposable
    {
        public static readonly TimeSpan Hold = TimeSpan.FromSeconds(5);
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
        private readonly ActorSystem _system = ActorSystem.Create("slots");
        private readonly IActorRef _allocator;

        private FakeTimeAllocator(bool mayHaveHadPredecessor) =>
            _allocator = _system.ActorOf(Props.Create(() => new SendSlotAllocator(Time, Hold, () => mayHaveHadPredecessor)));

        /// <summary>An allocator started at the fake clock's present (it reads the clock when it starts).</summary>
        public static async Task<FakeTimeAllocator> StartAsync(bool mayHaveHadPredecessor = false)
        {
            var allocator = new FakeTimeAllocator(mayHaveHadPredecessor);
            await allocator.AdvanceAsync(TimeSpan.Zero);
            return allocator;
        }

        public FakeTimeProvider Time { get; } = new();

        public Task<object> Take(string throttle = "email", double rate = AccountRate, TimeSpan? patience = null) =>
            _allocator.Ask<object>(new TakeSendSlot(throttle, rate, Hold, patience ?? Patience), Deadline);

        /// <summary>Gives a place back; the allocator has taken it when this returns.</summary>
        public async Task ReturnAsync(Task<object> taken, bool sent = true, TimeSpan countedBefore = default)
        {
            _allocator.Tell(new ReturnSendSlot("email", ((SendSlot)await taken).Lease, sent, countedBefore));
            await AdvanceAsync(TimeSpan.Zero);
        }

        /// <summary>
        /// Moves the clock on once the allocator has taken every message sent so far; the answers it gave by then have
        /// arrived when this returns.
        /// </summary>
        public async Task AdvanceAsync(TimeSpan by)
        {
            await _allocator.Ask<ActorIdentity>(new Identify(null), Deadline);
            Time.Advance(by);
            await _allocator.Ask<ActorIdentity>(new Identify(null), Deadline);
        }

        public void Dispose() => _system.Dispose();
    }

    [Fact]
    public async Task A_place_is_lent_again_only_a_second_after_its_call_was_given_back_and_never_more_at_once_than_the_rate()
    {
        using var allocator = await FakeTimeAllocator.StartAsync();
        var second = TimeSpan.FromSeconds(1);

        // Just started (its clock's second may still hold calls of an allocator that ran before): nothing for a second.
        var first = allocator.Take();
        var other = allocator.Take();
        await allocator.AdvanceAsync(second - TimeSpan.FromMilliseconds(1));
        Assert.False(first.IsCompleted);
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.IsType<SendSlot>(await first);
        Assert.IsType<SendSlot>(await other);

        // Two a second: a third waits for a place, which comes free a second after its call is given back, not before.
        var third = allocator.Take();
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(300));
        await allocator.ReturnAsync(first);
        await allocator.AdvanceAsync(second - TimeSpan.FromMilliseconds(1));
        Assert.False(third.IsCompleted);
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.IsType<SendSlot>(await third);

        // A place given back unused is free at once.
        var fourth = allocator.Take();
        await allocator.AdvanceAsync(TimeSpan.Zero);
        Assert.False(fourth.IsCompleted);
        await allocator.ReturnAsync(other, sent: false);
        Assert.IsType<SendSlot>(await fourth);
    }

    [Fact]
    public async Task A_place_never_given_back_is_lent_again_only_after_the_longest_hold_and_a_second()
    {
        using var allocator = await FakeTimeAllocator.StartAsync();
        await allocator.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.IsType<SendSlot>(await allocator.Take());
        Assert.IsType<SendSlot>(await allocator.Take());

        // Both holders went silent (killed, or cut off): their calls can be counted until they time out.
        var next = allocator.Take();
        await allocator.AdvanceAsync(FakeTimeAllocator.Hold + TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(1));
        Assert.False(next.IsCompleted);
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.IsType<SendSlot>(await next);
    }

    [Fact]
    public async Task The_provider_work_on_an_answered_call_is_taken_off_its_place()
    {
        using var allocator = await FakeTimeAllocator.StartAsync();
        await allocator.AdvanceAsync(TimeSpan.FromSeconds(1));
        var first = allocator.Take(rate: 1);
        Assert.IsType<SendSlot>(await first);
        var next = allocator.Take(rate: 1);

        // The provider spent at least 100 ms on the call before answering: it counted it by then.
        await allocator.ReturnAsync(first, countedBefore: TimeSpan.FromMilliseconds(100));
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(899));
        Assert.False(next.IsCompleted);
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.IsType<SendSlot>(await next);
    }

    [Fact]
    public async Task When_the_rate_falls_the_places_still_busy_at_the_old_rate_count_against_the_new_one()
    {
        using var allocator = await FakeTimeAllocator.StartAsync();
        await allocator.AdvanceAsync(TimeSpan.FromSeconds(1));
        var first = allocator.Take(rate: 2);
        var second = allocator.Take(rate: 2);
        Assert.IsType<SendSlot>(await first);
        Assert.IsType<SendSlot>(await second);

        // Now 1 a second: one place, and two calls still in their second.
        var next = allocator.Take(rate: 1);
        await allocator.ReturnAsync(first);
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(500));
        await allocator.ReturnAsync(second);
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(500));
        Assert.False(next.IsCompleted, "a place was lent while the old rate's calls filled the new rate's second");
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(499));
        Assert.False(next.IsCompleted);
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.IsType<SendSlot>(await next);
    }

    [Fact]
    public async Task An_allocator_that_may_follow_another_lends_nothing_until_that_ones_places_are_over_and_refuses_who_cannot_wait()
    {
        using var allocator = await FakeTimeAllocator.StartAsync(mayHaveHadPredecessor: true);
        var patient = allocator.Take();
        var hurried = allocator.Take(throttle: "sms", patience: TimeSpan.FromSeconds(2));

        await allocator.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.IsType<SendSlotRefused>(await hurried);
        await allocator.AdvanceAsync(FakeTimeAllocator.Hold + TimeSpan.FromSeconds(1) - TimeSpan.FromSeconds(2) - TimeSpan.FromMilliseconds(1));
        Assert.False(patient.IsCompleted);
        await allocator.AdvanceAsync(TimeSpan.FromMilliseconds(1));
        Assert.IsType<SendSlot>(await patient);
    }

    [Fact]
    public async Task The_slot_messages_cross_nodes_through_their_own_serializer_as_equal_values()
    {
        await using var cluster = new InProcessCluster(AccountRate);
        var system = cluster.Start(join: null).System;
        foreach (var message in new object[]
        {
            new TakeSendSlot("sms +15550100", 0.5, TimeSpan.FromSeconds(15.25), TimeSpan.FromSeconds(2.5)), new SendSlot(4_611_686_018_427_387_904, TimeSpan.FromMilliseconds(1_234.5)),
            new SendSlotRefused("no sms slot"), new ReturnSendSlot("email", 7, Sent: true, TimeSpan.FromMilliseconds(95)),
        })
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
