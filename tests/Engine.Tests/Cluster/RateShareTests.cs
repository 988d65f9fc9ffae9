using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Messaging.Engine.Cluster;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Cluster;

/// <summary>
/// Nodes of one real Akka cluster (actor systems in this process, remoting on loopback) sharing a 10/s account rate:
/// each node's share follows the membership, and no node sends on a share the others have not yet given up.
/// </summary>
public sealed class RateShareTests : IAsyncLifetime
{
    private const double AccountRate = 10;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly List<(ActorSystem System, SendThrottles Throttles)> _nodes = [];

    private static readonly Config Settings = ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        akka.cluster {
          failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 2s }
          downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
          split-brain-resolver { active-strategy = keep-majority, stable-after = 2s }
        }
        akka.coordinated-shutdown.phases {
          engine-rate-share-returned { depends-on = [cluster-sharding-shutdown-region], timeout = 5s }
          cluster-leave.depends-on = [engine-rate-share-returned]
        }
        """);

    private (ActorSystem System, SendThrottles Throttles) StartNode(Address? join, bool leavesOnTerminate = true)
    {
        var config = leavesOnTerminate ? Settings : ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off").WithFallback(Settings);
        var system = ActorSystem.Create("engine", config);
        var throttles = new SendThrottles(Options.Create(new ThrottlingOptions { EmailMaxSendRate = AccountRate }), TimeProvider.System);
        RateShare.Follow(system, throttles, TimeProvider.System, NullLoggerFactory.Instance);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.Join(join ?? cluster.SelfAddress);
        _nodes.Add((system, throttles));
        return (system, throttles);
    }

    private static Address AddressOf(ActorSystem system) => Akka.Cluster.Cluster.Get(system).SelfAddress;

    private static async Task<SendPermit> PermitAsync(SendThrottles throttles)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        return await throttles.Email.AcquireAsync(0, timeout.Token);
    }

    [Fact]
    public async Task A_joining_node_sends_only_once_the_others_divide_by_the_new_count_and_a_leaving_one_gives_its_share_back_after_its_last_second()
    {
        var (first, firstThrottles) = StartNode(join: null);
        await PermitAsync(firstThrottles);
        Assert.Equal(1, firstThrottles.Nodes);

        var (_, secondThrottles) = StartNode(AddressOf(first));
        await PermitAsync(secondThrottles);
        // The moment the new node may send, the old one already takes half.
        Assert.Equal(2, firstThrottles.Nodes);
        Assert.Equal(2, secondThrottles.Nodes);

        var (third, thirdThrottles) = StartNode(AddressOf(first));
        await PermitAsync(thirdThrottles);
        Assert.Equal(3, firstThrottles.Nodes);
        Assert.Equal(3, secondThrottles.Nodes);

        // The third node sends once more, then is stopped as a deployment stops it.
        await thirdThrottles.Email.EnterWindowAsync(default);
        var lastCall = thirdThrottles.Email.LastCallAt;
        await CoordinatedShutdown.Get(third).Run(CoordinatedShutdown.ClrExitReason.Instance);

        await AwaitCondition.UntilAsync(() => Task.FromResult(firstThrottles.Nodes == 2 && secondThrottles.Nodes == 2), Deadline, "the others take its share");
        Assert.True(DateTimeOffset.UtcNow >= lastCall + SendThrottle.Window, "the others raised their shares while its last call was under a second old");
    }

    [Fact]
    public async Task A_killed_node_keeps_its_share_until_the_others_have_downed_and_removed_it_and_a_quiet_second_passed()
    {
        var (first, firstThrottles) = StartNode(join: null);
        await PermitAsync(firstThrottles);
        var (_, secondThrottles) = StartNode(AddressOf(first));
        var (third, thirdThrottles) = StartNode(AddressOf(first), leavesOnTerminate: false);
        await PermitAsync(secondThrottles);
        await PermitAsync(thirdThrottles);
        Assert.Equal(3, firstThrottles.Nodes);

        var removedAt = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thirdAddress = Akka.Cluster.Cluster.Get(third).SelfUniqueAddress;
        Akka.Cluster.Cluster.Get(first).Subscribe(
            first.ActorOf(Props.Create(() => new RemovalWatch(thirdAddress, removedAt))), typeof(ClusterEvent.MemberRemoved));

        // Gone without a word: no leave, no share given back.
        await third.Terminate();

        var removed = await removedAt.Task.WaitAsync(Deadline);
        await AwaitCondition.UntilAsync(() => Task.FromResult(firstThrottles.Nodes == 2 && secondThrottles.Nodes == 2), Deadline, "the others take its share");
        Assert.True(DateTimeOffset.UtcNow >= removed + SendThrottle.Window, "the others raised their shares less than a second after it was removed");
        // The two that stayed are the majority: they send on throughout.
        await PermitAsync(firstThrottles);
        await PermitAsync(secondThrottles);
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

    public async Task DisposeAsync()
    {
        foreach (var (system, throttles) in Enumerable.Reverse(_nodes))
        {
            await system.Terminate();
            await throttles.DisposeAsync();
        }
    }
}
