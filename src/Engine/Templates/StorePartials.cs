using System.Collections.Frozen;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Messaging.Engine.Templates;

/// <summary>
/// Where <c>include</c> finds partials: among the store's current partials that a template was compiled with, in one
/// form (HTML or text), and nowhere else: a name that is not a partial fails the render, and nothing is read from disk.
/// Each partial is parsed once, on first use, in the syntax of the template that includes it.
/// </summary>
internal sealed class StorePartials : ITemplateLoader
{
    private readonly FrozenDictionary<string, Lazy<Template>> _parsed;

    public StorePartials(IReadOnlyDictionary<string, StoredTemplate> partials, bool html, TemplateSyntax syntax)
    {
        var parsed = new Dictionary<string, Lazy<Template>>(StringComparer.Ordinal);
        foreach (var partial in partials.Values)
        {
            if ((html ? partial.Definition.Html : partial.Definition.Text) is { } source)
            {
                parsed[partial.Name] = new Lazy<Template>(() => Parse(partial, source, html, syntax));
            }
        }

        _parsed = parsed.ToFrozenDictionary(StringComparer.Ordinal);
        Form = html ? "HTML" : "text";
    }

    private string Form { get; }

    public string? GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) =>
        _parsed.ContainsKey(templateName)
            ? templateName
            : throw new ScriptRuntimeException(callerSpan, $"there is no partial '{templateName}' with a {Form} form");

    /// <summary>The parsed partial; what Scriban's include renders.</summary>
    public Template Parsed(string name, SourceSpan callerSpan) =>
        _parsed.TryGetValue(name, out var parsed)
            ? parsed.Value
            : throw new ScriptRuntimeException(callerSpan, $"there is no partial '{name}' with a {Form} form");

    public string? Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        throw new ScriptRuntimeException(callerSpan, "partials are parsed when first included, never loaded as text");

    public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
        ValueTask.FromResult(Load(context, callerSpan, templatePath));

    private static Template Parse(StoredTemplate partial, string source, bool html, TemplateSyntax syntax)
    {
        try
        {
            return TemplateParser.ParseOrThrow(source, html ? "html" : "text", syntax, $"partial {partial.Name}");
        }
        catch (TemplateCompileException e)
        {
            throw new TemplateCompileException(e.Part, e.Line,
                $"partial '{partial.Name}' (v{partial.Version}) does not compile as {TemplateParser.NameOf(syntax)}: line {e.Line}: {e.Message}");
        }
    }
}
