namespace Messaging.Engine.Cluster;

/// <summary>
/// Asks the cluster's send-slot allocator for a place in <paramref name="Throttle"/>'s window at
/// <paramref name="AccountRate"/>. The asker will hold it at most <paramref name="HoldAtMost"/> (the longest its call can
/// last, the time to start it included) and waits for it at most <paramref name="WaitAtMost"/>.
/// </summary>
public sealed record TakeSendSlot(string Throttle, double AccountRate, TimeSpan HoldAtMost, TimeSpan WaitAtMost);

/// <summary>A place granted: <paramref name="Lease"/> names it when it is returned; it was granted <paramref name="Queued"/> after the ask arrived.</summary>
public sealed record SendSlot(long Lease, TimeSpan Queued);

/// <summary>No place within the asker's wait: nothing may be sent on it.</summary>
public sealed record SendSlotRefused(string Reason);

/// <summary>
/// Gives a place back after its call: <paramref name="Sent"/> false when no call was made (the place is free at once);
/// otherwise the provider counted the call at least <paramref name="CountedBefore"/> before this was sent (its own work on
/// a call it answered, zero when no answer came).
/// </summary>
public sealed record ReturnSendSlot(string Throttle, long Lease, bool Sent, TimeSpan CountedBefore);
