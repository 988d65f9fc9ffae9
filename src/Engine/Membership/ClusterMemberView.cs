namespace Messaging.Engine.Membership;

/// <summary>A member of the cluster.</summary>
/// <param name="Status">Akka's member status in lower case: joining, weaklyup, up, leaving, exiting, down, removed.</param>
/// <param name="UpSince">
/// When this node saw the member become Up (gossip carries no time); for members Up before this node started, when it
/// first saw them. None while the member is not yet Up.
/// </param>
public sealed record ClusterMemberView(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable, DateTimeOffset? UpSince);
