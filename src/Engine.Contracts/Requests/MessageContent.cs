namespace Messaging.Contracts.Requests;

/// <summary>
/// Inline content, used instead of a template. Email needs a subject and at least one of
/// <see cref="Html"/> and <see cref="Text"/>; SMS takes <see cref="Text"/> only.
/// </summary>
public sealed record MessageContent
{
    /// <summary>Email subject line.</summary>
    public string? Subject { get; init; }

    /// <summary>Email HTML body.</summary>
    public string? Html { get; init; }

    /// <summary>Email plain-text body, or the SMS body.</summary>
    public string? Text { get; init; }
}
