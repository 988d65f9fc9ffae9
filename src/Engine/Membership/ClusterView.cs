namespace Messaging.Engine.Membership;

/// <summary>The Akka cluster as one node sees it: itself, the leader, the members, who is unreachable, and the shards.</summary>
/// <param name="Self">This node's address (<c>akka.tcp://engine@host:port</c>).</param>
/// <param name="Leader">The member that moves others to Up and Removed; none while the cluster has not converged.</param>
/// <param name="Unreachable">Members this node's failure detector (or another's, by gossip) suspects.</param>
/// <param name="Shards">Shards and entities of the <c>recipient</c> region per node; empty while no such region runs.</param>
public sealed record ClusterView(
    string Self, string? Leader, IReadOnlyList<ClusterMemberView> Members, IReadOnlyList<string> Unreachable, IReadOnlyList<NodeShardsView> Shards);
