namespace Messaging.Engine.Throttling;

/// <summary>Send rates. Section <c>Engine:Throttling</c>.</summary>
public sealed class ThrottlingOptions
{
    public const string SectionName = "Engine:Throttling";

    /// <summary>Emails per second; null (default) takes SES <c>GetAccount</c> <c>MaxSendRate</c>. 0 means no limit (tests, benchmarks).</summary>
    public double? EmailMaxSendRate { get; set; }

    /// <summary>SMS per second for the account's origination identities (End User Messaging has no API that says).</summary>
    public double SmsMaxSendRate { get; set; } = 1;

    /// <summary>How often the SES quota is read again.</summary>
    public TimeSpan QuotaRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    internal IEnumerable<string> Validate()
    {
        if (EmailMaxSendRate is < 0)
        {
            yield return $"{SectionName}:EmailMaxSendRate must not be negative.";
        }

        if (SmsMaxSendRate < 0)
        {
            yield return $"{SectionName}:SmsMaxSendRate must not be negative.";
        }

        if (QuotaRefreshInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{SectionName}:QuotaRefreshInterval must be at least a second.";
        }
    }
}
