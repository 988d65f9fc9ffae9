namespace Messaging.Engine.Cluster;

/// <summary>No send slot could be taken (the allocator is moving or unreachable): the send did not leave and is retried.</summary>
public sealed class SendSlotUnavailableException(string message, Exception innerException) : Exception(message, innerException);
