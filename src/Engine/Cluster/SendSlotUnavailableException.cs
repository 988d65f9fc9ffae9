namespace Messaging.Engine.Cluster;

/// <summary>No send slot could be taken (the allocator is moving, unreachable or had none in time): the send did not leave and is retried.</summary>
public sealed class SendSlotUnavailableException : Exception
{
    public SendSlotUnavailableException(string message)
        : base(message)
    {
    }

    public SendSlotUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
