namespace Messaging.Engine.Ingest;

/// <summary>
/// The slots that bound how many of a lane's requests are in flight. A receiver takes slots before it asks SQS for
/// that many messages, and each finished request gives its slot back.
/// </summary>
/// <remarks>
/// While the lane is full, slots come back one at a time as sends finish. Handing each one to a waiting receiver
/// made a receive per message (at 500 sends/s, 500 receives of one message each: a twelfth of the engine's CPU, and
/// as many receives for SQS to answer). So one receiver at a time gathers: it takes what is free, and if that is less
/// than a full receive, it waits up to <see cref="DefaultGatherLinger"/> (20 ms) for the rest. A lane with free slots
/// is not held up: a full receive's worth is there at once.
/// </remarks>
internal sealed class InFlightSlots(int capacity, TimeSpan gatherLinger) : IDisposable
{
    /// <summary>How long a receiver waits for a full receive's worth of slots once it has one.</summary>
    public static readonly TimeSpan DefaultGatherLinger = TimeSpan.FromMilliseconds(20);

    private readonly SemaphoreSlim _free = new(capacity, capacity);
    private readonly SemaphoreSlim _gathering = new(1, 1);

    /// <summary>Slots free now.</summary>
    public int Free => _free.CurrentCount;

    /// <summary>
    /// Waits for a free slot, then takes up to <paramref name="most"/> (never more than the capacity), waiting up to
    /// the gather linger for those not free yet. Returns how many it took.
    /// </summary>
    public async Task<int> TakeAsync(int most, CancellationToken cancellationToken)
    {
        most = Math.Min(most, capacity);
        await _gathering.WaitAsync(cancellationToken).ConfigureAwait(false);
        var taken = 0;
        try
        {
            await _free.WaitAsync(cancellationToken).ConfigureAwait(false);
            taken = 1 + TakeFree(most - 1);
            if (taken < most)
            {
                // Real time, as the semaphore's own timeout is.
                var lingering = System.Diagnostics.Stopwatch.StartNew();
                while (taken < most)
                {
                    var left = gatherLinger - lingering.Elapsed;
                    if (left <= TimeSpan.Zero || !await _free.WaitAsync(left, cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }

                    taken += 1 + TakeFree(most - taken - 1);
                }
            }

            return taken;
        }
        catch (OperationCanceledException)
        {
            Release(taken);
            throw;
        }
        finally
        {
            _gathering.Release();
        }
    }

    public void Release(int count)
    {
        if (count > 0)
        {
            _free.Release(count);
        }
    }

    private int TakeFree(int most)
    {
        var taken = 0;
        while (taken < most && _free.Wait(0, CancellationToken.None))
        {
            taken++;
        }

        return taken;
    }

    public void Dispose()
    {
        _free.Dispose();
        _gathering.Dispose();
    }
}
