namespace Messaging.Engine.Throttling;

/// <summary>The right to start one call, which then waits for room in the window; <paramref name="SlotAt"/> is when the pace put it.</summary>
public readonly record struct SendPermit(DateTimeOffset SlotAt);
