using Messaging.Engine.Aws.Ses;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Throttling;

/// <summary>
/// Reads the SES quota at start and then every <see cref="ThrottlingOptions.QuotaRefreshInterval"/>: the email rate
/// follows <c>MaxSendRate</c> (unless configured), and sending pauses while the 24-hour quota is used up.
/// </summary>
public sealed partial class SesQuotaMonitor(
    SesClient ses, SendThrottles throttles, IOptions<ThrottlingOptions> options, TimeProvider timeProvider,
    ILogger<SesQuotaMonitor> logger) : BackgroundService
{
    /// <summary>The last quota read, or null until one succeeds.</summary>
    public SesAccount? Quota { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.QuotaRefreshInterval, timeProvider);
        do
        {
            await RefreshAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var account = await ses.GetAccountAsync(cancellationToken).ConfigureAwait(false);
        if (!account.TryGetValue(out var quota, out var error))
        {
            LogQuotaUnknown(error.ToString());
            return;
        }

        Quota = quota;
        if (options.Value.EmailMaxSendRate is null && quota.MaxSendRate > 0)
        {
            throttles.SetEmailAccountRate(quota.MaxSendRate);
        }

        if (quota.Max24HourSend >= 0 && quota.SentLast24Hours >= quota.Max24HourSend)
        {
            // SES does not say when the window frees up; look again at the next refresh.
            throttles.Email.PauseUntil(timeProvider.GetUtcNow() + options.Value.QuotaRefreshInterval);
            LogQuotaUsedUp(quota.SentLast24Hours, quota.Max24HourSend);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The SES quota could not be read ({Reason}); the email rate stays as it was")]
    private partial void LogQuotaUnknown(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The SES 24-hour quota is used up ({Sent}/{Max}); email is paused until the next check")]
    private partial void LogQuotaUsedUp(double sent, double max);
}
