using System.Text.Json;
using Messaging.Contracts.Requests;
using Scriban;
using Scriban.Functions;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Messaging.Engine.Templates;

/// <summary>What a template made from one request's data.</summary>
public sealed record RenderedContent(string? Subject, string? Html, string? Text);

/// <summary>A part of a template or partial that does not compile; <see cref="Line"/> (1-based) from the parser's span.</summary>
public sealed class TemplateCompileException(string part, int? line, string message) : Exception(message)
{
    /// <summary><c>subject</c>, <c>html</c>, <c>text</c> or <c>metadata</c>.</summary>
    public string Part { get; } = part;

    public int? Line { get; } = line;
}

/// <summary>
/// One template version parsed once with one set of partials, ready to render any number of times from any thread.
/// Rendering is strict: a declared required variable missing from the data fails, naming it; a value the template
/// uses that is neither in the data nor declared optional fails too, instead of rendering as nothing. HTML escapes
/// every value it writes (<c>raw</c> opts out); subject and text are not escaped, since they are not HTML.
/// </summary>
public sealed class CompiledTemplate
{
    private readonly Template? _subject;
    private readonly Template? _html;
    private readonly Template? _text;
    private readonly IReadOnlyList<TemplateVariable> _variables;
    private readonly HtmlText? _derivedText;
    private readonly RenderContextPool _contexts;
    private readonly StorePartials _htmlPartials;
    private readonly StorePartials _textPartials;
    private readonly IReadOnlySet<string> _functionNames;

    private CompiledTemplate(
        StoredTemplate source, Template? subject, Template? html, Template? text, StorePartials htmlPartials, StorePartials textPartials,
        RenderContextPool contexts, IReadOnlySet<string> functionNames)
    {
        _functionNames = functionNames;
        Source = source;
        _subject = subject;
        _html = html;
        _text = text;
        _contexts = contexts;
        _htmlPartials = htmlPartials;
        _textPartials = textPartials;
        _variables = source.Definition.Variables ?? [];
        _derivedText = html is not null && text is null ? new HtmlText() : null;
    }

    public StoredTemplate Source { get; }

    public Channel Channel => Source.Definition.Channel ?? Channel.Email;

    public TemplateSyntax Syntax => Source.Definition.Syntax ?? TemplateSyntax.Scriban;

    /// <summary>Parses every part; <c>include</c> finds partials among <paramref name="partials"/> only, parsed on first use.</summary>
    /// <exception cref="TemplateCompileException">A part of the template does not parse, or its culture or zone is unknown.</exception>
    public static CompiledTemplate Compile(
        StoredTemplate template, IReadOnlyDictionary<string, StoredTemplate> partials, TemplateOptions defaults)
    {
        var definition = template.Definition;
        var syntax = definition.Syntax ?? TemplateSyntax.Scriban;
        var culture = TemplateCulture.Parse(definition.Culture ?? defaults.DefaultCulture)
            ?? throw new TemplateCompileException("metadata", null, $"'{definition.Culture}' is not a known culture");
        var zone = TemplateCulture.FindZone(definition.TimeZone ?? defaults.DefaultTimeZone)
            ?? throw new TemplateCompileException("metadata", null, $"'{definition.TimeZone}' is not a known time zone");

        // Read-only once built, so every render of this version shares them; only partials are per form.
        ScriptObject builtins = syntax == TemplateSyntax.Liquid ? new LiquidBuiltinsFunctions() : new BuiltinFunctions();
        var functions = new TemplateHelpers(culture, zone).ToScriptObject();
        var htmlPartials = new StorePartials(partials, html: true, syntax);
        var textPartials = new StorePartials(partials, html: false, syntax);
        return new CompiledTemplate(
            template,
            definition.Subject is null ? null : TemplateParser.ParseOrThrow(definition.Subject, "subject", syntax),
            definition.Html is null ? null : TemplateParser.ParseOrThrow(definition.Html, "html", syntax),
            definition.Text is null ? null : TemplateParser.ParseOrThrow(definition.Text, "text", syntax),
            htmlPartials,
            textPartials,
            new RenderContextPool(() => new TemplateRenderContext(syntax, builtins, functions, textPartials, culture)),
            new HashSet<string>(builtins.Keys.Concat(functions.Keys), StringComparer.Ordinal));
    }

    /// <exception cref="TemplateRenderException">The data lacks a required variable, or the template cannot be rendered with it.</exception>
    public RenderedContent Render(JsonElement? data) => Render(TemplateData.From(data));

    internal RenderedContent Render(Dictionary<string, object?> values)
    {
        CheckRequired(values);
        return RenderSample(values);
    }

    /// <summary>Renders without checking required variables first: validation compares renders with one variable blanked.</summary>
    /// <exception cref="TemplateRenderException">The data lacks a value the template uses, or a function cannot format one.</exception>
    internal RenderedContent RenderSample(Dictionary<string, object?> values)
    {
        // A request's data must never change what a function does (raw, include, eq, html...), and silently hiding the
        // key would render the function where the producer meant its value: refuse it, naming the key.
        var globals = new ScriptObject(values.Count + _variables.Count, StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if (_functionNames.Contains(name))
            {
                throw new TemplateRenderException(
                    $"the data key '{name}' is the name of a template function or builtin; give the value another name");
            }

            globals[name] = value;
        }

        foreach (var optional in _variables)
        {
            // Declared and absent: empty, rather than the strict failure every other missing value is.
            if (!_functionNames.Contains(optional.Name))
            {
                globals.TryAdd(optional.Name, null);
            }
        }

        var context = _contexts.Rent();
        context.PushGlobal(globals);
        var subject = RenderPart(context, _subject, "subject", html: false);
        var html = RenderPart(context, _html, "html", html: true);
        var text = RenderPart(context, _text, "text", html: false);
        _contexts.Return(context);
        return new RenderedContent(
            subject?.Trim(),
            html,
            // An SMS is billed by length: the file's final newline is not worth a segment.
            text is not null ? (Channel == Channel.Sms ? text.Trim() : text)
                : html is not null ? _derivedText!.From(html) : null);
    }

    private string? RenderPart(TemplateRenderContext context, Template? part, string name, bool html)
    {
        if (part is null)
        {
            return null;
        }

        try
        {
            return context.Render(part, html, html ? _htmlPartials : _textPartials);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A render is computation over the request's data and this version's sources: whatever fails here fails
            // again on a retry, so it is the request's permanent problem, reported with its reason.
            throw Failure(e, name);
        }
    }

    private TemplateRenderException Failure(Exception e, string part)
    {
        for (var inner = (Exception?)e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case UndefinedValueException undefined:
                    return new TemplateRenderException(
                        $"template '{Source.Name}' (v{Source.Version}) uses '{undefined.Name}', which the request's data does not have and the template does not declare",
                        undefined) { Part = undefined.Span.FileName == part ? part : null, Line = undefined.Span.Start.Line + 1, Missing = undefined.Name };
                case TemplateRenderException or TemplateCompileException:
                    // A function's own complaint (bad date, unknown currency), a limit, or a partial that does not compile.
                    return new TemplateRenderException($"template '{Source.Name}' (v{Source.Version}) cannot be rendered: {inner.Message}", e);
            }
        }

        // Scriban's own: a loop or recursion limit, a missing partial, a bad format string. Its message carries the place.
        var message = e is ScriptRuntimeException script ? $"{part} line {script.Span.Start.Line + 1}: {script.OriginalMessage}" : e.Message;
        return new TemplateRenderException($"template '{Source.Name}' (v{Source.Version}) cannot be rendered: {message}", e);
    }

    private void CheckRequired(Dictionary<string, object?> values)
    {
        var missing = _variables.Where(v => v.Required && values.GetValueOrDefault(v.Name) is null).Select(v => v.Name).ToList();
        if (missing.Count > 0)
        {
            throw new TemplateRenderException(
                $"template '{Source.Name}' (v{Source.Version}) needs {Quoted(missing)} in data; the request has no value for {(missing.Count == 1 ? "it" : "them")}");
        }
    }

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}
