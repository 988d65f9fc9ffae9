using Messaging.Engine.Aws.Sqs;

namespace Messaging.Engine.Ingest;

/// <summary>
/// One request queue as the source works it: its URL and priority, the slots that bound how many of its requests are
/// in flight (receivers ask SQS only for free slots), and its acknowledger.
/// </summary>
internal sealed class RequestLane(RequestQueueOptions queue, string url, SqsAcknowledger acknowledger) : IAsyncDisposable
{
    public string Name => queue.Name;

    public string Url => url;

    public int Priority => queue.Priority;

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
