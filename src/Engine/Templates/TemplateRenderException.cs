namespace Messaging.Engine.Templates;

/// <summary>A template could not be rendered with the data given: a permanent problem of that request, not a retry.</summary>
public sealed class TemplateRenderException(string message, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>The value the template uses that the data lacks, when that is the problem.</summary>
    public string? Missing { get; init; }

    /// <summary>The part (<c>subject</c>, <c>html</c>, <c>text</c>) where <see cref="Missing"/> is used, when it is the template's own.</summary>
    public string? Part { get; init; }

    /// <summary>The 1-based line of <see cref="Missing"/> in <see cref="Part"/>.</summary>
    public int? Line { get; init; }
}
