using Akka.Actor;
using Akka.Cluster;
using Messaging.Engine.Cluster;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using System.Collections.Concurrent;

namespace Messaging.Engine.Tests.Cluster;

/// <summary>
/// Nodes of one real Akka cluster (actor systems in this process, remoting on loopback) sharing a 10/s account rate:
/// each node's share follows the membership, and no node sends on a share the others have not yet given up.
/// </summary>
public sealed class RateShareTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly InProcessCluster _cluster = new(accountRate: 10);

    private static async Task<SendPermit> PermitAsync(SendThrottles throttles)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        return await throttles.Email.AcquireAsync(0, timeout.Token);
    }

    [Fact]
    public async Task A_joining_node_sends_only_once_the_others_divide_by_the_new_count_and_a_leaving_one_gives_its_share_back_after_its_last_second()
    {
        var first = _cluster.Start(join: null);
        var firstThrottles = first.Throttles;
        await PermitAsync(firstThrottles);
        Assert.Equal(1, firstThrottles.Nodes);

        var secondThrottles = _cluster.Start(first).Throttles;
        await PermitAsync(secondThrottles);
        // The moment the new node may send, the old one already takes half.
        Assert.Equal(2, firstThrottles.Nodes);
        Assert.Equal(2, secondThrottles.Nodes);

        var third = _cluster.Start(first);
        var thirdThrottles = third.Throttles;
        await PermitAsync(thirdThrottles);
        Assert.Equal(3, firstThrottles.Nodes);
        Assert.Equal(3, secondThrottles.Nodes);

        // The third node sends once more, then is stopped as a deployment stops it.
        thirdThrottles.Email.LeaveWindow(await thirdThrottles.Email.EnterWindowAsync(null, default));
        var lastCall = thirdThrottles.Email.LastCallAt;
        await CoordinatedShutdown.Get(third.System).Run(CoordinatedShutdown.ClrExitReason.Instance);

        await AwaitCondition.UntilAsync(() => Task.FromResult(firstThrottles.Nodes == 2 && secondThrottles.Nodes == 2), Deadline, "the others take its share");
        Assert.True(DateTimeOffset.UtcNow >= lastCall + SendThrottle.Window, "the others raised their shares while its last call was under a second old");
    }

    [Fact]
    public async Task A_killed_node_keeps_its_share_until_the_others_have_downed_and_removed_it_and_a_quiet_second_passed()
    {
        var first = _cluster.Start(join: null);
        var firstThrottles = first.Throttles;
        await PermitAsync(firstThrottles);
        var secondThrottles = _cluster.Start(first).Throttles;
        var third = _cluster.Start(first, leavesOnTerminate: false);
        var thirdThrottles = third.Throttles;
        await PermitAsync(secondThrottles);
        await PermitAsync(thirdThrottles);
        Assert.Equal(3, firstThrottles.Nodes);

        var removedAt = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thirdAddress = Akka.Cluster.Cluster.Get(third.System).SelfUniqueAddress;
        Akka.Cluster.Cluster.Get(first.System).Subscribe(
            first.System.ActorOf(Props.Create(() => new RemovalWatch(thirdAddress, removedAt))), typeof(ClusterEvent.MemberRemoved));

        // Gone without a word: no leave, no share given back.
        await third.System.Terminate();

        var removed = await removedAt.Task.WaitAsync(Deadline);
        await AwaitCondition.UntilAsync(() => Task.FromResult(firstThrottles.Nodes == 2 && secondThrottles.Nodes == 2), Deadline, "the others take its share");
        Assert.True(DateTimeOffset.UtcNow >= removed + SendThrottle.Window, "the others raised their shares less than a second after it was removed");
        // The two that stayed are the majority: they send on throughout.
        await PermitAsync(firstThrottles);
        await PermitAsync(secondThrottles);
    }

    [Fact]
    public async Task A_node_that_stood_still_longer_than_the_failure_detector_tolerates_holds_its_sends_until_the_cluster_is_judged_again()
    {
        var clock = new CountingClock();
        var log = new CollectingLoggers();
        await using var cluster = new InProcessCluster(accountRate: 10, clock, log);
        var first = cluster.Start(join: null);
        var second = cluster.Start(first);
        await PermitAsync(first.Throttles);
        await PermitAsync(second.Throttles);

        // Less than the acceptable heartbeat pause (2 s here) between two ticks: no one can have counted it out. Three
        // ticks' reads of the clock after it: one node at least has looked twice.
        var reads = clock.Reads;
        clock.Advance(TimeSpan.FromSeconds(1.5));
        await AwaitCondition.UntilAsync(() => Task.FromResult(clock.Reads >= reads + 6), Deadline, "the nodes tick after the short stall");
        Assert.Equal(0, log.Count("stood still"));

        // More than it, as in a long GC pause or a frozen VM.
        clock.Advance(TimeSpan.FromSeconds(3));
        await AwaitCondition.UntilAsync(() => Task.FromResult(log.Count("stood still") == 2), Deadline, "both nodes notice they stood still");
        var released = log.Count("sends at its share");
        var permit = PermitAsync(first.Throttles).ContinueWith(_ => log.Count("sends at its share"), TaskScheduler.Default);

        // Its failure detector's acceptable pause and two heartbeats later (3 s here) it sends again. The clock moves in
        // small steps, as time passes for a node that runs: a jump would be another stall.
        await AwaitCondition.UntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(50));
            return Task.FromResult(permit.IsCompleted);
        }, Deadline, "the node sends again");
        var releasedBeforePermit = await permit;

        Assert.True(releasedBeforePermit > released, "the node sent before it said it sends again");
    }

    [Fact]
    public async Task A_node_alone_that_stood_still_sends_on_since_no_one_can_have_taken_its_share()
    {
        var clock = new CountingClock();
        var log = new CollectingLoggers();
        await using var cluster = new InProcessCluster(accountRate: 10, clock, log);
        var node = cluster.Start(join: null);
        await PermitAsync(node.Throttles);
        var holds = log.Count("holds its sends");

        var reads = clock.Reads;
        clock.Advance(TimeSpan.FromSeconds(10));
        // Two reads after the jump: its first tick after it is over.
        await AwaitCondition.UntilAsync(() => Task.FromResult(clock.Reads >= reads + 2), Deadline, "the node ticks after the stall");
        await PermitAsync(node.Throttles);

        Assert.Equal(0, log.Count("stood still"));
        Assert.Equal(holds, log.Count("holds its sends"));
    }

    /// <summary>A fake clock that counts its timestamp reads: the rate share reads one per tick.</summary>
    private sealed class CountingClock : TimeProvider
    {
        private readonly FakeTimeProvider _fake = new();
        private long _reads;

        public long Reads => Interlocked.Read(ref _reads);

        public void Advance(TimeSpan by) => _fake.Advance(by);

        public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

        public override long GetTimestamp()
        {
            Interlocked.Increment(ref _reads);
            return _fake.GetTimestamp();
        }

        public override long TimestampFrequency => _fake.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            _fake.CreateTimer(callback, state, dueTime, period);
    }

    private sealed class CollectingLoggers : ILoggerFactory, ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public int Count(string text) => _lines.Count(l => l.Contains(text, StringComparison.Ordinal));

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) { }

        public void Dispose() { }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }

    private sealed class RemovalWatch : ReceiveActor
    {
        public RemovalWatch(UniqueAddress watched, TaskCompletionSource<DateTimeOffset> removedAt) =>
            Receive<ClusterEvent.MemberRemoved>(e =>
            {
                if (e.Member.UniqueAddress.Equals(watched))
                {
                    removedAt.TrySetResult(DateTimeOffset.UtcNow);
                }
            });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cluster.DisposeAsync();
}
