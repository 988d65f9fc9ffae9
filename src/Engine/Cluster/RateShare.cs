using Akka;
using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Messaging.Engine.Throttling;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Cluster;

/// <summary>Starts this node's part in sharing the account's rates across the cluster.</summary>
internal static partial class RateShare
{
    /// <summary>The shutdown phase (config/akka.hocon) between handing off the shards and leaving the cluster.</summary>
    public const string ReturnedPhase = "engine-rate-share-returned";

    /// <summary>
    /// Follows the membership (<see cref="RateShareActor"/>) and, when the node stops, gives its share back: once its
    /// shards are handed off (no entity here sends any more), it waits until its last send is a second old, and only
    /// then leaves — the others raise their shares as soon as it is removed.
    /// </summary>
    public static void Follow(ActorSystem system, SendThrottles throttles, TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(RateShareActor));
        // Held from here, not from the actor's start, which runs later on its own thread: no permit before it is Up.
        throttles.Hold(true);
        system.ActorOf(RateShareActor.Props(throttles, time, logger), "rate-share");
        CoordinatedShutdown.Get(system).AddTask(ReturnedPhase, "wait-for-the-last-sends-window", async () =>
        {
            throttles.Hold(true);
            // A call still open moves the quiet moment on until it is answered (a second after that).
            while (throttles.QuietAt - time.GetUtcNow() is var wait && wait > TimeSpan.Zero)
            {
                await time.WaitRoundedUpAsync(wait, CancellationToken.None).ConfigureAwait(false);
            }

            LogReturned(logger, Akka.Cluster.Cluster.Get(system).SelfAddress.ToString());
            return Done.Instance;
        });
    }

    /// <summary>
    /// Runs the <see cref="SendSlotAllocator"/> as a singleton of <paramref name="system"/>'s cluster (on its oldest
    /// node); returns the proxy that reaches it from this node.
    /// </summary>
    /// <param name="holdAtMost">The longest a node holds a place (<see cref="ClusterSendSlots.HoldAtMost"/>).</param>
    /// <param name="olderMemberSeen">Whether this node ever saw a member older than itself (one that may have run the allocator).</param>
    public static IActorRef StartSendSlotAllocator(ActorSystem system, TimeProvider time, TimeSpan holdAtMost, Func<bool> olderMemberSeen)
    {
        const string name = "send-slots";
        system.ActorOf(ClusterSingletonManager.Props(
            Props.Create(() => new SendSlotAllocator(time, holdAtMost, olderMemberSeen)), PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system)), name);
        return system.ActorOf(ClusterSingletonProxy.Props($"/user/{name}", ClusterSingletonProxySettings.Create(system)), $"{name}-proxy");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} gave its share of the rates back; it leaves the cluster")]
    private static partial void LogReturned(ILogger logger, string node);
}
