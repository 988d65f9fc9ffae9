using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Messaging.Engine.Recipients.Entities;

namespace Messaging.Engine.Recipients.Passivation;

/// <summary>
/// The sweeper of <see cref="ActiveRecipients"/>: woken when a node holds more live recipient entities than its limit,
/// it asks each entity's shard to passivate the least recently used ones. Sharding's <see cref="Passivate"/> (sent as if
/// by the entity) makes the shard buffer the entity's next messages and send it <see cref="StopRecipient"/>, the same stop
/// as a hand-off: an entity with a send in flight stops only once the send's outcome is persisted, and a message that
/// arrives meanwhile wakes it again from the journal.
/// </summary>
internal sealed class LeastRecentlyUsedPassivation : ReceiveActor
{
    public LeastRecentlyUsedPassivation(ActiveRecipients recipients)
    {
        var log = Context.GetLogger();
        Receive<Sweep>(_ =>
        {
            var chosen = recipients.TakeLeastRecentlyUsed();
            foreach (var recipient in chosen)
            {
                recipient.Shard.Tell(new Passivate(StopRecipient.Instance), recipient.Entity);
            }

            if (chosen.Count > 0)
            {
                log.Debug("Passivating the {0} least recently used recipient entities (limit {1})", chosen.Count, recipients.Settings.ActiveEntityLimit);
            }
        });
    }

    /// <summary>Look for live entities beyond the limit. Local only: the registry is this node's.</summary>
    internal sealed record Sweep : INoSerializationVerificationNeeded
    {
        public static Sweep Instance { get; } = new();
    }
}
