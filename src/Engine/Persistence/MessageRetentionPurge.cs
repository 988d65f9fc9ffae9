using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Persistence;

/// <summary>
/// Keeps the <c>messages</c> read table to <see cref="JournalOptions.MessageRetention"/>: once an hour, rows accepted on
/// days before the retention window are deleted. The journal itself is not touched.
/// </summary>
internal sealed partial class MessageRetentionPurge(
    IJournal journal, IOptions<JournalOptions> options, TimeProvider timeProvider, ILogger<MessageRetentionPurge> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, timeProvider);
        do
        {
            try
            {
                await PurgeOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (JournalStorageException e)
            {
                // Storage is down for now; the next hour tries again. Nothing is lost by waiting.
                LogPurgeFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    internal async Task<int> PurgeOnceAsync(CancellationToken cancellationToken)
    {
        var firstKept = DateOnly.FromDateTime((timeProvider.GetUtcNow() - options.Value.MessageRetention).UtcDateTime);
        var purged = await journal.PurgeMessagesBeforeAsync(firstKept, cancellationToken).ConfigureAwait(false);
        if (purged > 0)
        {
            LogPurged(purged, firstKept);
        }

        return purged;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} message rows accepted before {FirstKeptDay}")]
    private partial void LogPurged(int count, DateOnly firstKeptDay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging old message rows failed; trying again in an hour")]
    private partial void LogPurgeFailed(Exception exception);
}
