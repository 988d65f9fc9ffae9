namespace Messaging.Engine.Ingest;

/// <summary>
/// One request queue as the source works it: its URL and priority, the slots that bound how many of its requests are
/// in flight (receivers ask SQS only for free slots), and its acknowledger.
/// </summary>
internal sealed class RequestLane(RequestQueueOptions queue, string url, SqsAcknowledger acknowledger, int? maxReceiveCount = null) : IAsyncDisposable
{
    public string Name => queue.Name;

    public string Url => url;

    public int Priority => queue.Priority;

    /// <summary>The queue's <c>RedrivePolicy</c> <c>maxReceiveCount</c> (read at start); null when SQS never moves its messages.</summary>
    public int? MaxReceiveCount => maxReceiveCount;

    /// <summary>
    /// True when a request received <paramref name="receiveCount"/> times must be decided now: putting it back would let
    /// its next receive be the last SQS allows, and a crash during that one would leave it to the redrive backstop,
    /// which moves it to the dead-letter queue without a reason.
    /// </summary>
    public bool IsLastReceive(int receiveCount) => maxReceiveCount is { } max && receiveCount >= max - 1;

    public int Pollers => queue.Pollers;

    public InFlightSlots Slots { get; } = new(queue.MaxInFlight, InFlightSlots.DefaultGatherLinger);

    public SqsAcknowledger Acknowledger => acknowledger;

    /// <summary>Waits for a free slot, then takes up to <paramref name="most"/> (see <see cref="InFlightSlots"/>).</summary>
    public Task<int> TakeSlotsAsync(int most, CancellationToken cancellationToken) => Slots.TakeAsync(most, cancellationToken);

    public void ReleaseSlots(int count) => Slots.Release(count);

    public async ValueTask DisposeAsync()
    {
        await acknowledger.DisposeAsync().ConfigureAwait(false);
        Slots.Dispose();
    }
}
