using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Messaging.Engine.Actors;

/// <summary>
/// Actors addressed by key (entities): the first message to a key creates its actor, which loads its state; an actor
/// idle for <see cref="ActorOptions.PassivateAfter"/> is passivated (dropped from memory) and the next message revives
/// it from storage. At most one live actor per key in this process, and at most <see cref="ActorOptions.MaxLive"/>:
/// beyond it the least recently active idle actors are passivated at once.
/// </summary>
public sealed class EntityRegistry<TKey, TMessage> : IAsyncDisposable
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, ActorCell<TMessage>> _cells = new();
    private readonly string _kind;
    private readonly Func<TKey, Actor<TMessage>> _factory;
    private readonly ActorRuntime _runtime;
    private readonly CancellationTokenSource _stopScanning = new();
    private readonly Task _scanner;
    // Wakes the scanner when creations pass MaxLive; released only when _overCapSignalled goes from 0 to 1.
    private readonly SemaphoreSlim _overCap = new(0, 1);
    private int _overCapSignalled;
    // Kept beside the dictionary: its Count takes every bucket lock, too dear for each creation.
    private int _live;
    private volatile bool _stopping;
    private Task? _stopped;
    private long _passivated;

    internal EntityRegistry(string kind, Func<TKey, Actor<TMessage>> factory, ActorRuntime runtime)
    {
        _kind = kind;
        _factory = factory;
        _runtime = runtime;
        _scanner = ScanForIdleAsync(_stopScanning.Token);
    }

    /// <summary>Actors in memory now.</summary>
    public int LiveCount => Volatile.Read(ref _live);

    /// <summary>Actors passivated since start.</summary>
    public long PassivatedCount => Interlocked.Read(ref _passivated);

    /// <summary>
    /// Queues the message if there is room now. False when the mailbox is full, or when the actor is passivating at
    /// this very moment; <see cref="TellAsync"/> waits in both cases.
    /// </summary>
    public bool TryTell(TKey key, TMessage message) => GetOrCreate(key).TryPost(new Envelope<TMessage>(message, null));

    /// <summary>Queues the message, waiting for room (backpressure) or for a passivating actor to finish.</summary>
    public ValueTask TellAsync(TKey key, TMessage message, CancellationToken cancellationToken) =>
        PostAsync(key, new Envelope<TMessage>(message, null), cancellationToken);

    public Task<TReply> AskAsync<TReply>(
        TKey key, Func<Reply<TReply>, TMessage> build, TimeSpan timeout, CancellationToken cancellationToken) =>
        AskPattern.AskAsync(
            $"{_kind}/{key}", (e, ct) => PostAsync(key, e, ct), build, timeout, _runtime.Time, cancellationToken);

    /// <summary>Passivates every actor idle longer than <see cref="ActorOptions.PassivateAfter"/>; returns how many.</summary>
    public int PassivateIdle()
    {
        var idleSince = (_runtime.Time.GetUtcNow() - _runtime.Options.PassivateAfter).UtcTicks;
        var count = 0;
        foreach (var cell in _cells.Values)
        {
            if (cell.TryPassivate(idleSince))
            {
                count++;
            }
        }

        Interlocked.Add(ref _passivated, count);
        return count;
    }

    /// <summary>
    /// Above <see cref="ActorOptions.MaxLive"/>, passivates the least recently active idle actors until nine tenths of
    /// it are left (busy ones and ones with mail stay); returns how many.
    /// </summary>
    public int PassivateOverCap()
    {
        if (LiveCount <= _runtime.Options.MaxLive)
        {
            return 0;
        }

        var excess = LiveCount - (_runtime.Options.MaxLive / 10 * 9);

        var count = 0;
        foreach (var (cell, lastActive) in _cells.Values.Select(c => (Cell: c, At: c.LastActivityTicks)).OrderBy(c => c.At))
        {
            if (count >= excess)
            {
                break;
            }

            // Passivated only if nothing happened to it since it was looked at.
            if (cell.TryPassivate(lastActive))
            {
                count++;
            }
        }

        Interlocked.Add(ref _passivated, count);
        return count;
    }

    private ValueTask PostAsync(TKey key, Envelope<TMessage> envelope, CancellationToken cancellationToken)
    {
        var cell = GetOrCreate(key);
        return cell.TryPost(envelope) ? ValueTask.CompletedTask : PostSlowlyAsync(key, cell, envelope, cancellationToken);
    }

    private async ValueTask PostSlowlyAsync(
        TKey key, ActorCell<TMessage> cell, Envelope<TMessage> envelope, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!cell.IsClosing)
            {
                try
                {
                    await cell.PostAsync(envelope, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (ChannelClosedException)
                {
                    // It began passivating while we waited for room: wait for it to finish, below.
                }
            }

            // The cell removes itself from the registry before Completion, so the next lookup creates a fresh one.
            await cell.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            cell = GetOrCreate(key);
            if (cell.TryPost(envelope))
            {
                return;
            }
        }
    }

    private ActorCell<TMessage> GetOrCreate(TKey key)
    {
        if (_cells.TryGetValue(key, out var existing))
        {
            return existing;
        }

        ThrowIfStopping();
        var fresh = new ActorCell<TMessage>($"{_kind}/{key}", () => _factory(key), _runtime, c => Remove(key, c));
        var cell = _cells.GetOrAdd(key, fresh);
        if (ReferenceEquals(cell, fresh))
        {
            fresh.Start();
            if (Interlocked.Increment(ref _live) > _runtime.Options.MaxLive && Interlocked.CompareExchange(ref _overCapSignalled, 1, 0) == 0)
            {
                _overCap.Release();
            }

            if (_stopping)
            {
                // Stop raced with this creation: the new actor handles what it gets, then stops with the rest.
                fresh.Close();
            }
        }

        return cell;
    }

    /// <summary>A stopped cell leaves the registry (it is still the one registered for its key).</summary>
    private void Remove(TKey key, ActorCell<TMessage> cell)
    {
        if (_cells.TryRemove(new(key, cell)))
        {
            Interlocked.Decrement(ref _live);
        }
    }

    private void ThrowIfStopping()
    {
        if (_stopping)
        {
            throw new ActorHostStoppedException($"The {_kind} actors are stopping and take no new messages.");
        }
    }

    private async Task ScanForIdleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_runtime.Options.PassivationScanInterval, _runtime.Time);
        try
        {
            var tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
            var overCap = _overCap.WaitAsync(cancellationToken);
            while (true)
            {
                if (await Task.WhenAny(tick, overCap).ConfigureAwait(false) == tick)
                {
                    if (!await tick.ConfigureAwait(false))
                    {
                        return;
                    }

                    PassivateIdle();
                    // Creations during the last trim did not signal; if none came since, the cap is held here.
                    PassivateOverCap();
                    tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
                }
                else
                {
                    await overCap.ConfigureAwait(false);
                    PassivateOverCap();
                    Volatile.Write(ref _overCapSignalled, 0);
                    overCap = _overCap.WaitAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Stops taking messages, lets every actor handle what is queued, and waits for all to stop. Calling it again
    /// (the host stops, then the container disposes) waits for the same stop.
    /// </summary>
    public Task StopAsync()
    {
        lock (_cells)
        {
            return _stopped ??= StopOnceAsync();
        }
    }

    private async Task StopOnceAsync()
    {
        _stopping = true;
        await _stopScanning.CancelAsync().ConfigureAwait(false);
        await _scanner.ConfigureAwait(false);
        while (!_cells.IsEmpty)
        {
            var cells = _cells.Values.ToList();
            foreach (var cell in cells)
            {
                cell.Close();
            }

            await Task.WhenAll(cells.Select(c => c.Completion)).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopScanning.Dispose();
        _overCap.Dispose();
    }
}
