using Akka.Actor;
using Akka.Configuration;
using Messaging.Engine.Cluster;
using Messaging.Engine.Throttling;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Cluster;

/// <summary>
/// Nodes of one real Akka cluster as actor systems in this process (remoting on loopback), each with its throttles,
/// its rate share and the send-slot allocator singleton, as the host starts them.
/// </summary>
internal sealed class InProcessCluster(double accountRate) : IAsyncDisposable
{
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

    private readonly List<Node> _nodes = [];

    internal sealed record Node(ActorSystem System, SendThrottles Throttles, IActorRef SendSlots)
    {
        public Address Address => Akka.Cluster.Cluster.Get(System).SelfAddress;
    }

    /// <param name="join">The node to join; none to form the cluster.</param>
    /// <param name="leavesOnTerminate">False: terminating the system drops it without leaving, as a killed process.</param>
    public Node Start(Node? join, bool leavesOnTerminate = true)
    {
        var config = leavesOnTerminate
            ? Settings
            : ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off").WithFallback(Settings);
        var system = ActorSystem.Create("engine", config);
        var throttles = new SendThrottles(Options.Create(new ThrottlingOptions { EmailMaxSendRate = accountRate }), TimeProvider.System);
        RateShare.Follow(system, throttles, TimeProvider.System, NullLoggerFactory.Instance);
        var slots = RateShare.StartSendSlotAllocator(system, TimeProvider.System);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.Join(join?.Address ?? cluster.SelfAddress);
        var node = new Node(system, throttles, slots);
        _nodes.Add(node);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Enumerable.Reverse(_nodes))
        {
            await node.System.Terminate();
            await node.Throttles.DisposeAsync();
        }
    }
}
