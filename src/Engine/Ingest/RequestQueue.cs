namespace Messaging.Engine.Ingest;

/// <summary>One request queue as ingest works it: its URL, priority, receivers, in-flight bound and redrive limit.</summary>
internal sealed class RequestQueue(RequestQueueOptions queue, string url, int? maxReceiveCount = null)
{
    public string Name => queue.Name;

    public string Url => url;

    public int Priority => queue.Priority;

    /// <summary>Long polls outstanding at once.</summary>
    public int Receivers => queue.Pollers;

    /// <summary>Requests worked on at once; past that, receiving waits.</summary>
    public int MaxInFlight => queue.MaxInFlight;

    public bool IsFifo => QueueDirectory.IsFifo(queue.Name);

    /// <summary>The queue's <c>RedrivePolicy</c> <c>maxReceiveCount</c> (read at start); null when SQS never moves its messages.</summary>
    public int? MaxReceiveCount => maxReceiveCount;

    /// <summary>
    /// True when a request received <paramref name="receiveCount"/> times must be decided now: putting it back would let
    /// its next receive be the last SQS allows, and a crash during that one would leave it to the redrive backstop,
    /// which moves it to the dead-letter queue without a reason.
    /// </summary>
    public bool IsLastReceive(int receiveCount) => maxReceiveCount is { } max && receiveCount >= max - 1;
}
