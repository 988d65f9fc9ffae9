using Akka.Cluster.Sharding;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>Routes a recipient's messages to its entity: the entity id is the normalized recipient key, the shard a hash of it.</summary>
public sealed class RecipientMessageExtractor(int maxNumberOfShards) : HashCodeMessageExtractor(maxNumberOfShards)
{
    /// <summary>Shards of the recipient region; every node of a cluster must use the same number (ten per node at most ten nodes is Akka's advice).</summary>
    public const int DefaultNumberOfShards = 100;

    public override string? EntityId(object message) => message is IRecipientMessage m ? m.Key.ToString() : null;
}
