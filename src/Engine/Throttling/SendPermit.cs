namespace Messaging.Engine.Throttling;

/// <summary>
/// The right to start one call, which then waits for room in the window; <paramref name="SlotAt"/> is when the pace put
/// it, on the throttle's steady clock (its start on the wall clock plus the monotonic time since), and
/// <paramref name="Number"/> tells the throttle which permit's call has come to the window.
/// </summary>
public readonly record struct SendPermit(DateTimeOffset SlotAt, long Number = 0);
