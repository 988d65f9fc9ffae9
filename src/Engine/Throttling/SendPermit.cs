namespace Messaging.Engine.Throttling;

/// <summary>The right to start one call at or after <paramref name="SlotAt"/>; see <see cref="SendThrottle.StartCallAsync"/>.</summary>
public readonly record struct SendPermit(DateTimeOffset SlotAt);
