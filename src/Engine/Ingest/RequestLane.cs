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

    public SemaphoreSlim Slots { get; } = new(queue.MaxInFlight, queue.MaxInFlight);

    public SqsAcknowledger Acknowledger => acknowledger;

    /// <summary>Waits for at least one free slot, then takes up to <paramref name="most"/>; returns how many.</summary>
    public async Task<int> TakeSlotsAsync(int most, CancellationToken cancellationToken)
    {
        await Slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var taken = 1;
        while (taken < most && Slots.Wait(0, CancellationToken.None))
        {
            taken++;
        }

        return taken;
    }

    public void ReleaseSlots(int count)
    {
        if (count > 0)
        {
            Slots.Release(count);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await acknowledger.DisposeAsync().ConfigureAwait(false);
        Slots.Dispose();
    }
}
