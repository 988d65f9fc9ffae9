namespace Messaging.Contracts.Validation;

/// <summary>Whether a string is a configuration set name SES and End User Messaging accept: 1–64 of <c>A–Z a–z 0–9 _ -</c>.</summary>
public static class ConfigurationSetRule
{
    /// <summary>Longest configuration set name.</summary>
    public const int MaxLength = 64;

    /// <summary>Returns why <paramref name="name"/> is not a configuration set name, or null when it is.</summary>
    public static string? Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length is > 0 and <= MaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? null
            : $"may contain only letters, digits, '_' and '-', at most {MaxLength} characters";
    }
}
