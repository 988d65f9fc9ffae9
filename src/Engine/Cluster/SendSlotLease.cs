namespace Messaging.Engine.Cluster;

/// <summary>A place of <paramref name="Throttle"/> taken from the cluster's allocator, to be given back after its call.</summary>
public readonly record struct SendSlotLease(string Throttle, long Id);
