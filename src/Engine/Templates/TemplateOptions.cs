namespace Messaging.Engine.Templates;

/// <summary>Templates: how soon a node sees a change, and the defaults of the formatting helpers. Section <c>Engine:Templates</c>.</summary>
public sealed class TemplateOptions
{
    public const string SectionName = "Engine:Templates";

    /// <summary>
    /// How often each node asks the database whether a template changed (one read of one row). A new current version
    /// is used everywhere within this time plus one read. Default 2 s.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Culture of number, currency and date helpers when a template names none. Default <c>en-US</c>.</summary>
    public string DefaultCulture { get; set; } = "en-US";

    /// <summary>IANA time zone of date helpers when a template names none. Default <c>UTC</c>.</summary>
    public string DefaultTimeZone { get; set; } = "UTC";

    internal IEnumerable<string> Validate()
    {
        if (RefreshInterval <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:RefreshInterval must be positive.";
        }

        if (TemplateCulture.Parse(DefaultCulture) is null)
        {
            yield return $"{SectionName}:DefaultCulture '{DefaultCulture}' is not a known culture.";
        }

        if (TemplateCulture.FindZone(DefaultTimeZone) is null)
        {
            yield return $"{SectionName}:DefaultTimeZone '{DefaultTimeZone}' is not a known time zone.";
        }
    }
}
