using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Newtonsoft.Json;

namespace Messaging.Engine.Membership;

/// <summary>
/// The answer to another node's Cluster Bootstrap probe (<c>GET /bootstrap/seed-nodes</c> on the management port), as
/// Akka.Management's own route gives it: the host serves it, because Akka.Management's HTTP endpoint cannot start here
/// (it needs Ceen.Httpd 0.9.9, which the package registry does not serve; 0.9.10 fails with MissingMethodException).
/// </summary>
public sealed class BootstrapContactPoint(ActorSystem system)
{
    /// <summary>The path the probes ask.</summary>
    public const string SeedNodesPath = "/bootstrap/seed-nodes";

    /// <summary>
    /// This node and the members a joining node may use as seeds, as JSON; a node on its way out offers none. The
    /// prober reads it with Newtonsoft.Json, so it is written with it.
    /// </summary>
    public string SeedNodesJson()
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var self = cluster.SelfMember;
        if (self.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed)
        {
            return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, []));
        }

        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, members));
    }
}
