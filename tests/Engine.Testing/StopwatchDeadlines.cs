using System.Diagnostics;

namespace Messaging.Testing;

/// <summary>
/// Completes waits at <see cref="Stopwatch"/> times to within about a millisecond, on one thread of its own. .NET's
/// timers are due on the kernel's coarse clock (4 ms steps here), so a held answer overshot its time by 3 ms on
/// average; a timed wait on an event is timed by the kernel's precise clock.
/// </summary>
public sealed class StopwatchDeadlines : IDisposable
{
    private readonly PriorityQueue<TaskCompletionSource, long> _due = new();
    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _added = new(false);
    private readonly Thread _thread;
    private bool _stopping;
    private long _waitingFor;

    public StopwatchDeadlines()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "provider answers" };
        _thread.Start();
    }

    /// <summary>The time its thread is waiting for now (0 when none is due): lets a test see it has looked.</summary>
    public long WaitingFor
    {
        get
        {
            lock (_lock)
            {
                return _waitingFor;
            }
        }
    }

    /// <summary>Completes at or after <paramref name="timestamp"/> (<see cref="Stopwatch.GetTimestamp"/>), never before.</summary>
    public Task At(long timestamp, CancellationToken cancellationToken)
    {
        if (Stopwatch.GetTimestamp() >= timestamp)
        {
            return Task.CompletedTask;
        }

        var due = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            // Set under the lock: Dispose disposes the event only once nothing can set it any more.
            ObjectDisposedException.ThrowIf(_stopping, this);
            _due.Enqueue(due, timestamp);
            _added.Set();
        }

        return due.Task.WaitAsync(cancellationToken);
    }

    private void Run()
    {
        while (true)
        {
            TimeSpan? rest;
            lock (_lock)
            {
                if (_stopping)
                {
                    while (_due.TryDequeue(out var left, out _))
                    {
                        left.TrySetCanceled();
                    }

                    return;
                }

                var now = Stopwatch.GetTimestamp();
                while (_due.TryPeek(out var due, out var at) && at <= now)
                {
                    _due.Dequeue();
                    due.TrySetResult();
                }

                // Reset under the lock: a wait added from here on sets it again, and is looked at.
                _added.Reset();
                rest = _due.TryPeek(out _, out var next) ? Stopwatch.GetElapsedTime(now, next) : null;
                _waitingFor = rest is null ? 0 : next;
            }

            if (rest is not { } wait)
            {
                _added.Wait();
            }
            else
            {
                // Until a millisecond or two before the time, then a millisecond at a time (a timed wait counts whole
                // milliseconds: rounding up would answer half a millisecond late on average), or until a wait is added.
                _added.Wait(wait > TimeSpan.FromMilliseconds(2) ? wait - TimeSpan.FromMilliseconds(1) : TimeSpan.FromMilliseconds(1));
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            _added.Set();
        }

        _thread.Join();
        _added.Dispose();
    }
}
