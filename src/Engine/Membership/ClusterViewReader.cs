using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Membership;

/// <summary>Reads the Akka cluster's state on this node, and the recipient region's shards when that region runs.</summary>
public sealed partial class ClusterViewReader(ActorSystem system, MemberUpTimes upTimes, ILogger<ClusterViewReader> logger)
{
    /// <summary>
    /// How long the other nodes' shard regions may take to answer: an unreachable node never does, and the view (members,
    /// leader, unreachable) must not wait for it. A region that does not answer in time is left out of the shard counts.
    /// </summary>
    private static readonly TimeSpan ShardsTimeout = TimeSpan.FromSeconds(2);

    /// <param name="timeout">The longest the whole read may take.</param>
    public async Task<ClusterView> ReadAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.UniqueAddress).ToHashSet();
        var members = state.Members
            .Select(m => new ClusterMemberView(m.Address.ToString(), m.Status.ToString().ToLowerInvariant(),
                m.Roles.Order(StringComparer.Ordinal).ToList(), !unreachable.Contains(m.UniqueAddress), upTimes.Of(m)))
            .ToList();
        return new ClusterView(
            cluster.SelfAddress.ToString(),
            state.Leader?.ToString(),
            members,
            state.Unreachable.Select(m => m.Address.ToString()).Order(StringComparer.Ordinal).ToList(),
            await ShardsAsync(timeout < ShardsTimeout ? timeout : ShardsTimeout, cancellationToken).ConfigureAwait(false));
    }

    private async Task<IReadOnlyList<NodeShardsView>> ShardsAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var sharding = ClusterSharding.Get(system);
        if (!sharding.ShardTypeNames.Contains(EngineAkkaConfiguration.RecipientRegion))
        {
            return [];
        }

        ClusterShardingStats stats;
        try
        {
            stats = await sharding.ShardRegion(EngineAkkaConfiguration.RecipientRegion)
                .Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + TimeSpan.FromSeconds(1), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            // No coordinator to answer (it is moving off a node that was lost, or the node is swamped): the members,
            // leader and unreachable nodes are still this node's own view and are what an operator needs then.
            LogShardsUnanswered(e, timeout);
            return [];
        }

        return stats.Regions
            .Select(r => new NodeShardsView(r.Key.ToString(), r.Value.Stats.Count, r.Value.Stats.Values.Sum()))
            .OrderBy(n => n.Address, StringComparer.Ordinal)
            .ToList();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The recipients' shard coordinator did not answer within {Timeout}; the cluster view is given without shard counts")]
    private partial void LogShardsUnanswered(Exception exception, TimeSpan timeout);
}
