namespace Messaging.Engine.Sending;

/// <summary>What a sent message carries by default, and how failures are retried. Section <c>Engine:Sending</c>.</summary>
public sealed class SendingOptions
{
    public const string SectionName = "Engine:Sending";

    /// <summary>Sender of emails whose request names none (a verified SES identity).</summary>
    public string? DefaultEmailFrom { get; set; }

    /// <summary>Origination identity (phone number, sender id, pool) of SMS whose request names none; null lets AWS choose.</summary>
    public string? DefaultSmsOrigination { get; set; }

    /// <summary>Configuration set when neither the request nor a category mapping names one.</summary>
    public string? DefaultConfigurationSet { get; set; }

    /// <summary>Configuration set per category (<c>transactional</c>, <c>marketing</c>): how SES routes to dedicated IP pools.</summary>
    public Dictionary<string, string> ConfigurationSetByCategory { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Most segments (billed parts) one SMS may take; a longer one is refused before it is sent. Default 6: 918 GSM-7
    /// characters, or 402 UCS-2 ones (one emoji makes the whole text UCS-2). AWS allows at most 10.
    /// </summary>
    public int SmsMaxSegments { get; set; } = 6;

    /// <summary>Transient bounces in a row that suppress a recipient (a delivery resets the count). Default 3.</summary>
    public int TransientBouncesToSuppress { get; set; } = 3;

    /// <summary>Most messages per recipient per UTC day, per category (e.g. <c>marketing: 3</c>); no entry, no cap.</summary>
    public Dictionary<string, int> DailyCapByCategory { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Transient failures of one message before it goes to the dead-letter queue.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Wait before the first retry; each further retry waits twice as long, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// False (default): at most once. A message whose send was started but never confirmed (the process stopped mid-call,
    /// the call timed out) is recorded as <c>unknown</c> and not sent again. True: at least once — it is sent again.
    /// </summary>
    public bool AtLeastOnce { get; set; }

    /// <summary>
    /// How long a send another node (or this process before a restart) started may still be running: a request that
    /// finds such a young intent is put back for later instead of being recorded <c>unknown</c> (or, at least once,
    /// sent again) while the first send may yet succeed. Must exceed <c>Engine:Aws:RequestTimeout</c> (15 s) with room
    /// for the wait for the send rate. Default 40 s.
    /// </summary>
    public TimeSpan InFlightGrace { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>
    /// Off (null, the default), a send recorded <c>unknown</c> stays so until a provider event settles it. Set (the
    /// configuration set must publish <c>Send</c> events): its request is kept on its queue for this long, and if no
    /// <c>Send</c> event for the message arrived by then the provider never took it, so it is sent once more (recorded
    /// as <c>ResentAfterUnknown</c>; never a second time). Keep it well above the delay of the event pipeline.
    /// </summary>
    public TimeSpan? ReconcileUnknownAfter { get; set; }

    /// <summary>
    /// How long the pipeline waits for a recipient entity's answer, rate waits included. Past it the request is put back
    /// (not counted as a failed attempt): Akka may drop a message while a shard moves between nodes.
    /// </summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan RetryDelay(int failedAttempts)
    {
        var factor = Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(RetryBaseDelay.Ticks * factor, MaxRetryDelay.Ticks));
        return delay;
    }

    internal IEnumerable<string> Validate()
    {
        // Checked here as well as on every message, so that a bad default stops the engine at start, not each send.
        if (DefaultEmailFrom is { } from && Contracts.Validation.EmailAddressRule.CheckSender(from) is { } badSender)
        {
            yield return $"{SectionName}:DefaultEmailFrom {badSender}.";
        }

        foreach (var (scope, set) in ConfigurationSetByCategory.Select(e => ($"ConfigurationSetByCategory:{e.Key}", (string?)e.Value))
                     .Prepend(("DefaultConfigurationSet", DefaultConfigurationSet)))
        {
            if (set is not null && Contracts.Validation.ConfigurationSetRule.Check(set) is { } badSet)
            {
                yield return $"{SectionName}:{scope} {badSet}.";
            }
        }

        if (MaxAttempts < 1)
        {
            yield return $"{SectionName}:MaxAttempts must be at least 1.";
        }

        if (InFlightGrace <= TimeSpan.Zero || InFlightGrace > TimeSpan.FromHours(1))
        {
            yield return $"{SectionName}:InFlightGrace must be positive and at most an hour.";
        }

        if (RetryBaseDelay < TimeSpan.Zero || MaxRetryDelay < RetryBaseDelay || MaxRetryDelay > TimeSpan.FromHours(12))
        {
            yield return $"{SectionName}:RetryBaseDelay must be ≥ 0 and ≤ MaxRetryDelay, which must be at most 12 hours (SQS's visibility limit).";
        }

        foreach (var (category, cap) in DailyCapByCategory)
        {
            if (cap < 0)
            {
                yield return $"{SectionName}:DailyCapByCategory:{category} must not be negative.";
            }
        }

        if (TransientBouncesToSuppress < 1)
        {
            yield return $"{SectionName}:TransientBouncesToSuppress must be at least 1.";
        }

        if (SmsMaxSegments is < 1 or > 10)
        {
            yield return $"{SectionName}:SmsMaxSegments must be between 1 and 10.";
        }

        if (ReconcileUnknownAfter is { } reconcile && (reconcile <= TimeSpan.Zero || reconcile > TimeSpan.FromDays(1)))
        {
            yield return $"{SectionName}:ReconcileUnknownAfter must be positive and at most a day (its request waits on the queue meanwhile).";
        }

        if (DeliveryTimeout <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:DeliveryTimeout must be positive.";
        }
    }
}
