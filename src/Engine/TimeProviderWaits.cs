namespace Messaging.Engine;

/// <summary>Waits that must not end early.</summary>
internal static class TimeProviderWaits
{
    /// <summary>
    /// Waits at least <paramref name="wait"/>. <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/>
    /// drops a wait's fraction of a millisecond (1.6 ms waits 1 ms, 0.4 ms not at all), so this asks for whole
    /// milliseconds, rounded up: code that must not act before a moment (a send slot, room in the window) is never
    /// early, and a loop that checks the time again after waiting does not spin through the last fraction. At 500
    /// sends/s that spinning in the send throttle was a twentieth of the engine's CPU.
    /// </summary>
    public static Task WaitAtLeastAsync(this TimeProvider time, TimeSpan wait, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), time, cancellationToken);
}
