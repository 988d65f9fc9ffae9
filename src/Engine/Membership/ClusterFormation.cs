using Akka.Actor;
using Akka.Discovery.KubernetesApi;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Dsl;

namespace Messaging.Engine.Membership;

/// <summary>How a node comes into its Akka cluster when the actor system starts (<see cref="ClusterFormationMode"/>).</summary>
internal static class ClusterFormation
{
    private const string DiscoveryMethodPath = "akka.management.cluster.bootstrap.contact-point-discovery.discovery-method";

    /// <summary>
    /// Joins by seed nodes, or starts Cluster Bootstrap, telling it its own contact point (<see cref="ManagementEndpoint"/>);
    /// the host answers the probes there (<see cref="BootstrapContactPoint"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Bootstrap is chosen while seed nodes are listed too.</exception>
    public static async Task BeginAsync(ActorSystem system, ClusterFormationMode mode)
    {
        if (mode == ClusterFormationMode.SeedNodes)
        {
            JoinSelfWhenAlone(system);
            return;
        }

        // Bootstrap would only log that it bails out and join the seeds: two ways at once is a mistake worth a failed start.
        var seedNodes = Akka.Cluster.Cluster.Get(system).Settings.SeedNodes;
        if (seedNodes.Count > 0)
        {
            throw new InvalidOperationException(
                $"Engine:Akka:Formation is Bootstrap, but akka.cluster.seed-nodes lists {string.Join(", ", seedNodes)}: choose one way to form the cluster.");
        }

        // The Kubernetes discovery's own settings (its class, the service account's paths) are added by its extension;
        // loaded only when chosen, so a config-discovery node never reads the service account files.
        if (string.Equals(system.Settings.Config.GetString(DiscoveryMethodPath), "kubernetes-api", StringComparison.Ordinal))
        {
            KubernetesDiscovery.Get(system);
        }

        // Bootstrap waits for its own base address, which Akka.Management's endpoint would hand it when started. The host
        // listens there only after the actor system has started: until then the probes fail and are retried.
        var bootstrap = ClusterBootstrap.Get(system);
        bootstrap.Routes(ManagementRouteProviderSettings.Create(ManagementEndpoint.Of(system.Settings.Config).SelfBaseUri, readOnly: true));
        await bootstrap.Start().ConfigureAwait(false);
    }

    /// <summary>
    /// With seed nodes configured, Akka joins them by itself. Without any, a node would wait forever for a join, so it
    /// joins itself and forms a one-node cluster: the engine run alone needs no cluster settings.
    /// </summary>
    private static void JoinSelfWhenAlone(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (cluster.Settings.SeedNodes.Count == 0)
        {
            cluster.Join(cluster.SelfAddress);
        }
    }
}
