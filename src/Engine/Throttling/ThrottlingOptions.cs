namespace Messaging.Engine.Throttling;

/// <summary>Send rates. Section <c>Engine:Throttling</c>.</summary>
public sealed class ThrottlingOptions
{
    public const string SectionName = "Engine:Throttling";

    /// <summary>Emails per second; null (default) takes SES <c>GetAccount</c> <c>MaxSendRate</c>. 0 means no limit (tests, benchmarks).</summary>
    public double? EmailMaxSendRate { get; set; }

    /// <summary>SMS per second when no origination identity is named, or one not listed in <see cref="SmsRateByOrigination"/>.</summary>
    public double SmsMaxSendRate { get; set; } = 1;

    /// <summary>
    /// SMS per second per origination identity (phone number, sender id, pool id): each identity has its own limit at
    /// AWS (a US long code 1/s, a toll-free number 3/s, a short code 100/s…), so each gets its own throttle.
    /// </summary>
    public Dictionary<string, double> SmsRateByOrigination { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often the SES quota is read again.</summary>
    public TimeSpan QuotaRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The least time the provider takes between counting a send and its answer reaching the engine (its own work on
    /// the call). Zero (default) assumes nothing: the rate is then held below the limit by the calls' round trip.
    /// </summary>
    public TimeSpan ProviderWorkAtLeast { get; set; } = TimeSpan.Zero;

    internal IEnumerable<string> Validate()
    {
        if (ProviderWorkAtLeast < TimeSpan.Zero || ProviderWorkAtLeast >= TimeSpan.FromSeconds(1))
        {
            yield return $"{SectionName}:ProviderWorkAtLeast must be from 0 to under a second.";
        }

        if (EmailMaxSendRate is < 0)
        {
            yield return $"{SectionName}:EmailMaxSendRate must not be negative.";
        }

        if (SmsMaxSendRate < 0)
        {
            yield return $"{SectionName}:SmsMaxSendRate must not be negative.";
        }

        foreach (var (identity, rate) in SmsRateByOrigination)
        {
            if (rate < 0)
            {
                yield return $"{SectionName}:SmsRateByOrigination:{identity} must not be negative.";
            }
        }

        if (QuotaRefreshInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{SectionName}:QuotaRefreshInterval must be at least a second.";
        }
    }
}
