namespace Messaging.Engine.Cluster;

/// <summary>Asks the cluster's send-slot allocator for the next slot of <paramref name="Throttle"/> at <paramref name="AccountRate"/>.</summary>
public sealed record TakeSendSlot(string Throttle, double AccountRate);

/// <summary>The slot taken: it begins <paramref name="Wait"/> after the allocator answered.</summary>
public sealed record SendSlot(TimeSpan Wait);
