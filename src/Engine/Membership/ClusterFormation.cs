using Akka.Actor;

namespace Messaging.Engine.Membership;

/// <summary>How a node comes into its Akka cluster when the actor system starts.</summary>
internal static class ClusterFormation
{
    /// <summary>
    /// With seed nodes configured, Akka joins them by itself. Without any, a node would wait forever for a join, so it
    /// joins itself and forms a one-node cluster: the engine run alone needs no cluster settings.
    /// </summary>
    public static void JoinSelfWhenAlone(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (cluster.Settings.SeedNodes.Count == 0)
        {
            cluster.Join(cluster.SelfAddress);
        }
    }
}
