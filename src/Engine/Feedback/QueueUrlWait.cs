using Messaging.Engine.Ingest;

namespace Messaging.Engine.Feedback;

/// <summary>Waits for a queue to exist (it may be created after the engine starts), backing off from 1 s to 30 s.</summary>
internal static class QueueUrlWait
{
    /// <summary>The queue's URL, or null when <paramref name="stopping"/> fired first.</summary>
    /// <param name="unavailable">Told each failed look-up: the problem and the seconds until the next.</param>
    public static async Task<string?> UntilFoundAsync(
        QueueDirectory queues, string queue, TimeProvider timeProvider, Action<string, double> unavailable, CancellationToken stopping)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            var url = await queues.UrlOfAsync(queue, stopping).ConfigureAwait(false);
            if (url.TryGetValue(out var queueUrl, out var error))
            {
                return queueUrl;
            }

            unavailable(error.ToString(), backoff.TotalSeconds);
            try
            {
                await Task.Delay(backoff, timeProvider, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return null;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }

        return null;
    }
}
