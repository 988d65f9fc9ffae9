namespace Messaging.Engine.Reputation;

/// <summary>
/// The reputation guard: hourly bounce and complaint rates per configuration set and for the account. Section
/// <c>Engine:Reputation</c>. The defaults stop marketing mail before AWS's own review (5 % bounces, 0.1 % complaints)
/// and well before suspension (10 % / 0.5 %).
/// </summary>
public sealed class ReputationOptions
{
    public const string SectionName = "Engine:Reputation";

    /// <summary>Bounce rate that warns when two hourly windows in a row reach it. Default 0.03 (3 %).</summary>
    public double WarnBounceRate { get; set; } = 0.03;

    /// <summary>Complaint rate that warns when two hourly windows in a row reach it. Default 0.0005 (0.05 %).</summary>
    public double WarnComplaintRate { get; set; } = 0.0005;

    /// <summary>Bounce rate in one hourly window that pauses <see cref="PausedCategories"/>. Default 0.05 (5 %).</summary>
    public double PauseBounceRate { get; set; } = 0.05;

    /// <summary>Complaint rate in one hourly window that pauses <see cref="PausedCategories"/>. Default 0.001 (0.1 %).</summary>
    public double PauseComplaintRate { get; set; } = 0.001;

    /// <summary>Sends a window needs before its rates count: 2 bounces out of 10 sends is noise. Default 100.</summary>
    public int MinimumSends { get; set; } = 100;

    /// <summary>What a pause stops. Default <c>marketing</c>; transactional mail keeps flowing.</summary>
    public List<string> PausedCategories { get; set; } = [];

    /// <summary>How often counts are written and rates evaluated. Default 30 s.</summary>
    public TimeSpan EvaluateInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a request of a paused category waits before it is looked at again. Default 15 min.</summary>
    public TimeSpan PausedRetryDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The categories a pause stops, or the default.</summary>
    public IReadOnlyList<string> Paused => PausedCategories.Count > 0 ? PausedCategories : ["marketing"];

    internal IEnumerable<string> Validate()
    {
        foreach (var (name, value) in new[] { ("WarnBounceRate", WarnBounceRate), ("WarnComplaintRate", WarnComplaintRate), ("PauseBounceRate", PauseBounceRate), ("PauseComplaintRate", PauseComplaintRate) })
        {
            if (value is <= 0 or > 1)
            {
                yield return $"{SectionName}:{name} must be a rate between 0 and 1 (0.05 is 5 %).";
            }
        }

        if (WarnBounceRate > PauseBounceRate || WarnComplaintRate > PauseComplaintRate)
        {
            yield return $"{SectionName}: a warning rate above its pause rate would never warn first.";
        }

        if (MinimumSends < 1)
        {
            yield return $"{SectionName}:MinimumSends must be at least 1.";
        }

        if (EvaluateInterval <= TimeSpan.Zero || PausedRetryDelay <= TimeSpan.Zero || PausedRetryDelay > TimeSpan.FromHours(11))
        {
            yield return $"{SectionName}:EvaluateInterval must be positive, and PausedRetryDelay between 0 and 11 hours.";
        }

        foreach (var category in Paused)
        {
            if (category is not ("marketing" or "transactional"))
            {
                yield return $"{SectionName}:PausedCategories: '{category}' is not a category (marketing, transactional).";
            }
        }
    }
}
