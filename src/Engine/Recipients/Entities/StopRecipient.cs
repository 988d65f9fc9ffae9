namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// Sharding's hand-off (and passivation) stop message: an entity with a send in flight handles it only after the send's
/// outcome is persisted (it is stashed like any command), so a rebalance never cuts a send off.
/// </summary>
public sealed record StopRecipient
{
    public static StopRecipient Instance { get; } = new();
}
