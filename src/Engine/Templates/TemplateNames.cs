namespace Messaging.Engine.Templates;

/// <summary>What a template or partial may be called: what a request's <c>template</c> field accepts.</summary>
public static class TemplateNames
{
    public const int MaxLength = 64;

    /// <summary>How the store, the CLI and the API name a kind: <c>template</c> or <c>partial</c>.</summary>
    public static string Of(TemplateKind kind) => kind == TemplateKind.Partial ? "partial" : "template";

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= MaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    public static void EnsureValid(string name)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid template name: letters, digits, '_' and '-' only, at most {MaxLength} characters.", nameof(name));
        }
    }
}
