namespace Messaging.Testing;

/// <summary>Waits for a condition with a deadline, instead of sleeping and hoping.</summary>
public static class AwaitCondition
{
    /// <summary>Polls <paramref name="condition"/> until it returns true; fails with <paramref name="because"/> when <paramref name="deadline"/> passes.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string because)
    {
        ArgumentNullException.ThrowIfNull(condition);
        using var timeout = new CancellationTokenSource(deadline);
        var pause = TimeSpan.FromMilliseconds(5);
        while (!await condition().ConfigureAwait(false))
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"Not true within {deadline.TotalSeconds:0.#} s: {because}");
            }

            // A short, growing pause between polls of an external peer, not a wait for the outcome itself.
            await Task.Delay(pause, CancellationToken.None).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 200));
        }
    }
}
