using System.Diagnostics;

namespace Messaging.Engine.Throttling;

/// <summary>
/// The timer that lets the window's line in when the next place ends (<see cref="SendThrottle"/>). Every moment it
/// opens late is a moment that place stands empty, and the window cannot make it up. The system's timers are due on
/// the kernel's coarse clock (4 ms steps on Linux): at 500 sends/s they opened the door 2.0–2.5 ms late on average.
/// So on the real clock the door is a thread of its own whose waits end on the precise clock (0.7–1.3 ms late under the
/// same load); on any other clock (a test's fake time) it is that clock's timer.
/// </summary>
internal abstract class WindowDoor
{
    /// <summary>A door that calls <paramref name="open"/> when due, on <paramref name="time"/>'s clock.</summary>
    public static WindowDoor For(TimeProvider time, Action open, string name) =>
        ReferenceEquals(time, TimeProvider.System) ? new PreciseDoor(open, name, PreciseDoor.IdleFor) : new TimerDoor(time, open);

    /// <summary>The real clock's door, its thread ending after <paramref name="idleFor"/> with nothing due.</summary>
    internal static WindowDoor Precise(Action open, string name, TimeSpan idleFor) => new PreciseDoor(open, name, idleFor);

    /// <summary>Opens once, <paramref name="wait"/> from now (never earlier), instead of when it was due before.</summary>
    public abstract void OpenIn(TimeSpan wait);

    /// <summary>Whether a thread of the door's own is alive (for tests).</summary>
    internal virtual bool HoldsAThread => false;

    private sealed class TimerDoor(TimeProvider time, Action open) : WindowDoor
    {
        private readonly ITimer _timer = time.CreateTimer(static state => ((Action)state!)(), open, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        // Timers drop a wait's fraction of a millisecond: rounded up, so the door never opens before the place ends.
        public override void OpenIn(TimeSpan wait) => _timer.Change(TimeProviderWaits.RoundedUp(wait), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// A thread that sleeps until the door is due. It ends after a spell with nothing due and starts again when asked,
    /// so a throttle no longer used (an old host's, a stopped origination's) leaves no thread behind, while one still
    /// finishing its line after the engine began stopping is still let in.
    /// </summary>
    private sealed class PreciseDoor(Action open, string name, TimeSpan idleFor) : WindowDoor
    {
        internal static readonly TimeSpan IdleFor = TimeSpan.FromSeconds(30);

        // Monitor.Wait and Pulse need a plain object.
        private readonly object _sync = new();
        private long _due;
        private bool _running;

        internal override bool HoldsAThread
        {
            get
            {
                lock (_sync)
                {
                    return _running;
                }
            }
        }

        public override void OpenIn(TimeSpan wait)
        {
            lock (_sync)
            {
                // At least one tick: zero means "not due".
                var due = Stopwatch.GetTimestamp() + Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds * Stopwatch.Frequency));
                // The thread wakes by itself at the time it waits for and then looks again; woken only for an earlier
                // time. The window asks again at nearly every call for the same place's end, a few microseconds apart as
                // its clock and this one are read at different moments, and each needless wake cost two context switches
                // (docs/benchmarks.md). Its waits are whole milliseconds: a tenth of one sooner is not worth a wake.
                var sooner = _due == 0 || due < _due - (Stopwatch.Frequency / 10_000);
                _due = due;
                if (!_running)
                {
                    _running = true;
                    new Thread(Run) { IsBackground = true, Name = $"{name} window door" }.Start();
                }
                else if (sooner)
                {
                    Monitor.Pulse(_sync);
                }
            }
        }

        private void Run()
        {
            while (true)
            {
                lock (_sync)
                {
                    while (_due == 0 || Stopwatch.GetTimestamp() < _due)
                    {
                        if (_due == 0)
                        {
                            if (!Monitor.Wait(_sync, idleFor) && _due == 0)
                            {
                                _running = false;
                                return;
                            }
                        }
                        else
                        {
                            // Whole milliseconds, rounded up: a fraction left is not a zero wait (a spin); the loop looks again.
                            // Never negative: a wait of -1 ms is Monitor's "forever", and the clock may have passed
                            // the time since the loop looked (a thread preempted for a millisecond or more).
                            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _due);
                            Monitor.Wait(_sync, (int)Math.Max(0, Math.Ceiling(left.TotalMilliseconds)));
                        }
                    }

                    _due = 0;
                }

                open();
            }
        }
    }
}
