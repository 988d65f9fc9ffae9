namespace Messaging.Engine;

/// <summary>Waits that should not end early.</summary>
internal static class TimeProviderWaits
{
    /// <summary>
    /// Waits about <paramref name="wait"/>, asking for whole milliseconds, rounded up.
    /// <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> drops the fraction (1.6 ms waits 1 ms, 0.4 ms
    /// not at all), and the system timer, which counts whole milliseconds, may end a wait up to one early besides.
    /// Rounded up, a wait is at most that one tick early, and a loop that checks the time again after waiting goes
    /// round once or twice more instead of spinning through the last fraction (at 500 sends/s that spinning in the
    /// send throttle was a twentieth of the engine's CPU).
    /// </summary>
    public static Task WaitRoundedUpAsync(this TimeProvider time, TimeSpan wait, CancellationToken cancellationToken) =>
        Task.Delay(RoundedUp(wait), time, cancellationToken);

    /// <summary><paramref name="wait"/> in whole milliseconds, rounded up: for a timer, which drops the fraction too.</summary>
    public static TimeSpan RoundedUp(TimeSpan wait) => TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds));
}
