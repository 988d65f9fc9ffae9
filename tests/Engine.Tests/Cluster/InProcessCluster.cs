using Akka.Actor;
using Akka.Configuration;
using Messaging.Engine.Cluster;
using Messaging.Engine.Membership;
using Messaging.Engine.Throttling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Cluster;

/// <summary>
/// Nodes of one real Akka cluster as actor systems in this process (remoting on loopback), each with its throttles,
/// its rate share and the send-slot allocator singleton, as the host starts them.
/// </summary>
/// <param name="shareClock">The clock the rate share reads (fake, to make a node look stalled).</param>
/// <param name="loggers">Where the rate share logs.</param>
internal sealed class InProcessCluster(double accountRate, TimeProvider? shareClock = null, ILoggerFactory? loggers = null) : IAsyncDisposable
{
    // The shipped config/akka.hocon (serializer bindings, the shutdown phase that gives the share back, the cluster's
    // settings) with faster failure detection and downing, and no journal (nothing here persists). Messages between
    // the nodes go through their serializers; local ones are not checked (serialize-messages), as Akka's singleton
    // proxy's own local messages do not pass that check.
    private static readonly Config Settings = Messaging.Engine.Tests.Persistence.AkkaPlugin.PluginConformanceTests.WithShippedSettings(
        ConfigurationFactory.ParseString("""
            akka.persistence.journal.auto-start-journals = []
            akka.persistence.snapshot-store.auto-start-snapshot-stores = []
            akka.cluster {
              failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 2s }
              split-brain-resolver.stable-after = 2s
            }
            """));

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
        RateShare.Follow(system, throttles, shareClock ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance);
        var members = new MemberUpTimes(TimeProvider.System);
        members.Follow(system);
        var slots = RateShare.StartSendSlotAllocator(
            system, TimeProvider.System, ClusterSendSlots.HoldFor(Throttling.AnsweringProvider.RequestTimeout), () => members.OlderMemberSeen);
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
