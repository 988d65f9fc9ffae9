using Akka.Cluster.Sharding;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>Routes a recipient's messages to its entity: the entity id is the normalized recipient key, the shard a hash of it.</summary>
public sealed class RecipientMessageExtractor(int maxNumberOfShards) : HashCodeMessageExtractor(maxNumberOfShards)
{
    public override string? EntityId(object message) => message is IRecipientMessage m ? m.Key.ToString() : null;
}
