namespace Messaging.Engine.Membership;

/// <summary>How a node finds the other members of its Akka cluster (<c>Engine:Akka:Formation</c>).</summary>
public enum ClusterFormationMode
{
    /// <summary>
    /// Join <c>akka.cluster.seed-nodes</c>; with none listed (the default), the node forms a one-node cluster by itself.
    /// </summary>
    SeedNodes,

    /// <summary>
    /// Akka.Management's Cluster Bootstrap: contact points come from Akka.Discovery (<c>config</c> or
    /// <c>kubernetes-api</c>, as <c>akka.management.cluster.bootstrap.contact-point-discovery.discovery-method</c> says),
    /// are probed on the management HTTP port, and the lowest address forms the cluster that the others join.
    /// </summary>
    Bootstrap,
}
