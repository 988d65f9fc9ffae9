using System.Threading.Channels;

namespace Messaging.Engine.Persistence;

/// <summary>
/// Group commit: appends from many actors queue here and one loop hands them to the store in batches, one
/// transaction (one fsync) per batch. A batch takes whatever queued while the previous one was committing, up to
/// <see cref="JournalOptions.MaxBatchSize"/>; with a <see cref="JournalOptions.BatchLinger"/>, a batch that found more
/// than one write waiting also waits that long for more. Each caller completes when its own batch is durable.
/// </summary>
/// <remarks>
/// The queue is bounded: when it is full, <see cref="AppendAsync"/> waits, which slows the actors that write, which
/// slows the mailboxes that feed them — backpressure all the way to the SQS pollers. Once queued, a write is
/// written even if its caller stops waiting: cancellation only gives up the wait for a queue slot.
/// </remarks>
/// <typeparam name="TWrite">What one caller queues: the in-house journal's append, or the Akka plugin's write.</typeparam>
internal sealed class GroupCommitWriter<TWrite> : IAsyncDisposable
    where TWrite : IBatchedWrite
{
    private readonly Channel<TWrite> _queue;
    private readonly Func<IReadOnlyList<TWrite>, CancellationToken, Task> _writeBatch;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _linger;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _lingerCut = new();
    private readonly Task _loop;
    private long _batches;
    private long _appends;

    public GroupCommitWriter(
        Func<IReadOnlyList<TWrite>, CancellationToken, Task> writeBatch,
        JournalOptions options,
        TimeProvider timeProvider)
    {
        _writeBatch = writeBatch;
        _maxBatchSize = options.MaxBatchSize;
        _linger = options.BatchLinger;
        _timeProvider = timeProvider;
        _queue = Channel.CreateBounded<TWrite>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Batches committed so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Writes committed so far (conflicts included: they were answered by a batch).</summary>
    public long Appends => Interlocked.Read(ref _appends);

    /// <summary>
    /// Queues <paramref name="write"/>; completes at once while the queue has room, else when a slot frees. The caller
    /// then awaits the write's own completion, which the batch that carries it sets.
    /// </summary>
    public ValueTask EnqueueAsync(TWrite write, CancellationToken cancellationToken)
    {
        return _queue.Writer.TryWrite(write) ? ValueTask.CompletedTask : EnqueueSlowlyAsync(write, cancellationToken);

        async ValueTask EnqueueSlowlyAsync(TWrite w, CancellationToken ct)
        {
            try
            {
                await _queue.Writer.WriteAsync(w, ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException e)
            {
                throw new JournalStorageException("The journal is stopped; the write was not queued.", e);
            }
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<TWrite>(_maxBatchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatchSize && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            // Only while writes overlap: a lone write had nobody to wait for, and is committed at once.
            if (_linger > TimeSpan.Zero && batch.Count > 1 && batch.Count < _maxBatchSize)
            {
                await LingerAsync(batch, reader).ConfigureAwait(false);
            }

            try
            {
                // On the pool, not a thread of its own: starting a thread per batch tripled the time of a lone
                // actor's append on SQLite (204 → 609 µs), for no gain once the rate-test stalls were traced to fsync.
                await _writeBatch(batch, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                var failure = e as JournalStorageException
                    ?? new JournalStorageException($"Writing a batch of {batch.Count} appends failed: {e.Message}", e);
                foreach (var pending in batch)
                {
                    pending.Fail(failure);
                }
            }

            // A store must answer every append; one that did not is a bug, reported rather than left hanging.
            foreach (var pending in batch)
            {
                if (!pending.IsCompleted)
                {
                    pending.Fail(new InvalidOperationException($"The store left {pending} unanswered."));
                }
            }

            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _appends, batch.Count);
        }
    }

    /// <summary>
    /// One timer per batch, then whatever queued meanwhile: waking at each write that arrives cost more CPU than the
    /// commits it saved (docs/benchmarks.md). So a batch that fills early still waits the linger out — at the 5 ms
    /// default that bounds the writer near 100,000 writes a second, far above what the engine asks of it.
    /// </summary>
    private async Task LingerAsync(List<TWrite> batch, ChannelReader<TWrite> reader)
    {
        try
        {
            await Task.Delay(_linger, _timeProvider, _lingerCut.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_lingerCut.IsCancellationRequested)
        {
            // Stopping: what is queued is written now.
        }

        while (batch.Count < _maxBatchSize && reader.TryRead(out var pending))
        {
            batch.Add(pending);
        }
    }

    /// <summary>Stops taking appends, writes everything already queued (without lingering), then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (!_lingerCut.IsCancellationRequested)
        {
            // A second stop finds it cancelled (and disposed): nothing more to cut.
            await _lingerCut.CancelAsync().ConfigureAwait(false);
        }

        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
        _lingerCut.Dispose();
    }
}
