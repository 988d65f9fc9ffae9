using System.Globalization;
using System.Text.Json;
using HandlebarsDotNet;
using HandlebarsDotNet.Compiler;
using Messaging.Contracts.Requests;

namespace Messaging.Engine.Templates;

/// <summary>What a template made from one request's data.</summary>
public sealed record RenderedContent(string? Subject, string? Html, string? Text);

/// <summary>A part of a template or partial that does not compile; <see cref="Line"/> when Handlebars says where.</summary>
public sealed class TemplateCompileException(string part, int? line, string message) : Exception(message)
{
    /// <summary><c>subject</c>, <c>html</c> or <c>text</c>.</summary>
    public string Part { get; } = part;

    public int? Line { get; } = line;
}

/// <summary>
/// One template version compiled with one set of partials, ready to render any number of times from any thread.
/// Rendering is strict: a declared required variable missing from the data fails, naming it; a value the template
/// uses that is neither in the data nor declared optional fails too, instead of rendering as nothing. HTML is escaped
/// (<c>{{{raw}}}</c> opts out); subject and text are not, since they are not HTML.
/// </summary>
public sealed class CompiledTemplate
{
    private readonly HandlebarsTemplate<object, object>? _subject;
    private readonly HandlebarsTemplate<object, object>? _html;
    private readonly HandlebarsTemplate<object, object>? _text;
    private readonly IReadOnlyList<TemplateVariable> _variables;
    private readonly HtmlText? _derivedText;

    private CompiledTemplate(
        StoredTemplate source, HandlebarsTemplate<object, object>? subject, HandlebarsTemplate<object, object>? html,
        HandlebarsTemplate<object, object>? text)
    {
        Source = source;
        _subject = subject;
        _html = html;
        _text = text;
        _variables = source.Definition.Variables ?? [];
        _derivedText = html is not null && text is null ? new HtmlText() : null;
    }

    public StoredTemplate Source { get; }

    public Channel Channel => Source.Definition.Channel ?? Channel.Email;

    /// <summary>Compiles every part; partials are looked up by name at render time among <paramref name="partials"/>.</summary>
    /// <exception cref="TemplateCompileException">A part (of the template or of a partial) does not compile.</exception>
    public static CompiledTemplate Compile(
        StoredTemplate template, IReadOnlyDictionary<string, StoredTemplate> partials, TemplateOptions defaults)
    {
        var definition = template.Definition;
        var culture = TemplateCulture.Parse(definition.Culture ?? defaults.DefaultCulture)
            ?? throw new TemplateCompileException("metadata", null, $"'{definition.Culture}' is not a known culture");
        var zone = TemplateCulture.FindZone(definition.TimeZone ?? defaults.DefaultTimeZone)
            ?? throw new TemplateCompileException("metadata", null, $"'{definition.TimeZone}' is not a known time zone");

        var html = definition.Html is null ? null : Environment(escaped: true, culture, zone, partials);
        var text = Environment(escaped: false, culture, zone, partials);
        return new CompiledTemplate(
            template,
            definition.Subject is null ? null : CompilePart(text, "subject", definition.Subject),
            html is null ? null : CompilePart(html, "html", definition.Html!),
            definition.Text is null ? null : CompilePart(text, "text", definition.Text));
    }

    /// <exception cref="TemplateRenderException">The data lacks a required variable, or the template cannot be rendered with it.</exception>
    public RenderedContent Render(JsonElement? data) => Render(TemplateData.From(data));

    internal RenderedContent Render(Dictionary<string, object?> values)
    {
        CheckRequired(values);
        return RenderSample(values);
    }

    /// <summary>Renders without checking required variables first: validation compares renders with one variable blanked.</summary>
    internal RenderedContent RenderSample(Dictionary<string, object?> values)
    {
        foreach (var optional in _variables)
        {
            // Declared and absent: empty, rather than the strict "undefined" every other missing value is.
            values.TryAdd(optional.Name, null);
        }

        try
        {
            var html = _html?.Invoke(values);
            return new RenderedContent(
                _subject?.Invoke(values)?.Trim(),
                html,
                // An SMS is billed by length: the file's final newline is not worth a segment.
                _text is not null ? (Channel == Channel.Sms ? _text(values).Trim() : _text(values))
                    : html is not null ? _derivedText!.From(html) : null);
        }
        catch (Exception e) when (e is HandlebarsException or HandlebarsUndefinedBindingException or TemplateRenderException or FormatException)
        {
            // Strictness: a value neither in the data nor declared. Handlebars wraps it when it happens in a partial.
            for (var inner = (Exception?)e; inner is not null; inner = inner.InnerException)
            {
                if (inner is HandlebarsUndefinedBindingException undefined)
                {
                    throw new TemplateRenderException(
                        $"template '{Source.Name}' (v{Source.Version}) uses '{undefined.MissingKey}', which the request's data does not have and the template does not declare", undefined);
                }
            }

            // A helper's own complaint (bad date, unknown currency), a bad format string, or a missing partial.
            throw new TemplateRenderException($"template '{Source.Name}' (v{Source.Version}) cannot be rendered: {Describe(e)}", e);
        }
    }

    /// <summary>The messages down the chain, without Handlebars' "see inner exception" pointers.</summary>
    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var inner = (Exception?)e; inner is not null; inner = inner.InnerException)
        {
            parts.Add(FirstLine(inner.Message).Replace(", see inner exception for more information", "", StringComparison.Ordinal));
        }

        return string.Join(": ", parts);
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

    private static IHandlebars Environment(
        bool escaped, CultureInfo culture, TimeZoneInfo zone, IReadOnlyDictionary<string, StoredTemplate> partials)
    {
        var configuration = new HandlebarsConfiguration
        {
            ThrowOnUnresolvedBindingExpression = true,
            FormatProvider = culture,
        };
        if (!escaped)
        {
            configuration.TextEncoder = null;
        }

        var handlebars = Handlebars.Create(configuration);
        TemplateHelpers.Register(handlebars, culture, zone);
        foreach (var partial in partials.Values)
        {
            if ((escaped ? partial.Definition.Html : partial.Definition.Text) is { } source)
            {
                try
                {
                    handlebars.RegisterTemplate(partial.Name, source);
                }
                catch (HandlebarsException e)
                {
                    throw new TemplateCompileException(escaped ? "html" : "text", LineOf(e),
                        $"partial '{partial.Name}' (v{partial.Version}) does not compile: {FirstLine(e.Message)}");
                }
            }
        }

        return handlebars;
    }

    private static HandlebarsTemplate<object, object> CompilePart(IHandlebars handlebars, string part, string source)
    {
        try
        {
            return handlebars.Compile(source);
        }
        catch (HandlebarsException e)
        {
            throw new TemplateCompileException(part, UnclosedLine(source, e) ?? LineOf(e), FirstLine(e.Message));
        }
    }

    /// <summary>
    /// Handlebars' parser ends its messages with "Occured at: line:column" (0-based, where it stopped reading); its
    /// compiler gives no position. The 1-based line, or null.
    /// </summary>
    private static int? LineOf(HandlebarsException e)
    {
        const string marker = "Occured at: ";
        var at = e.Message.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var position = e.Message[(at + marker.Length)..];
        var colon = position.IndexOf(':', StringComparison.Ordinal);
        return int.TryParse(colon < 0 ? position : position[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var line)
            ? line + 1
            : null;
    }

    /// <summary>
    /// For an expression left open, Handlebars reports where it stopped reading (the end); the useful line is where the
    /// last <c>{{</c> with no <c>}}</c> after it opens.
    /// </summary>
    private static int? UnclosedLine(string source, HandlebarsException e)
    {
        if (!e.Message.StartsWith("Reached end of template before the expression was closed", StringComparison.Ordinal))
        {
            return null;
        }

        var open = source.LastIndexOf("{{", StringComparison.Ordinal);
        return open < 0 || source.IndexOf("}}", open, StringComparison.Ordinal) >= 0 ? null : source.AsSpan(0, open).Count('\n') + 1;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).Trim();
    }

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}
