using System.Globalization;
using System.Text;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Messaging.Engine.Templates;

/// <summary>
/// One render (its subject, HTML and text, one after the other): strict (an unknown variable or member fails, naming it), bounded (loops, recursion and
/// output), culture-aware, and for an HTML part escaping every value as it is written, so data can never become markup.
/// Text written by the template itself, <c>raw</c> values and included partials (which escaped their own values) are
/// written as they are.
/// </summary>
internal sealed class TemplateRenderContext : TemplateContext
{
    private readonly ScriptObject _functions;
    private readonly CultureInfo _culture;
    private readonly BoundedOutput _output = new(TemplateLimits.OutputLength);
    private bool _escape;
    private StorePartials _partials;

    public TemplateRenderContext(TemplateSyntax syntax, ScriptObject builtins, ScriptObject functions, StorePartials partials, CultureInfo culture)
        : base(builtins, StringComparer.Ordinal)
    {
        _partials = partials;
        _functions = functions;
        _culture = culture;
        if (syntax == TemplateSyntax.Liquid)
        {
            // What Scriban's LiquidTemplateContext sets, on this context.
            Language = ScriptLang.Liquid;
            EnableBreakAndContinueAsReturnOutsideLoop = true;
            EnableRelaxedTargetAccess = true;
            IsLiquid = true;
        }

        StrictVariables = true;
        TryGetVariable = Undefined;
        TryGetMember = UndefinedMember;
        LoopLimit = TemplateLimits.Loop;
        RecursiveLimit = TemplateLimits.Recursion;
        LimitToString = TemplateLimits.StringLength;
        NewLine = "\n";
        AutoIndent = false;
        TemplateLoader = partials;
        PushCulture(culture);
        PushGlobal(functions);
    }

    /// <summary>
    /// Makes a context that rendered once ready for the next render, keeping what is costly to build (its caches and
    /// output buffer): Scriban's own reset, then the culture and functions every render starts with.
    /// </summary>
    public void Recycle()
    {
        Reset();
        CachedTemplates.Clear();
        PushCulture(_culture);
        PushGlobal(_functions);
    }

    /// <summary>Renders one part: HTML escaped with the partials' HTML forms, or as text with their text forms.</summary>
    public string Render(Template part, bool html, StorePartials partials)
    {
        _escape = html;
        _partials = partials;
        TemplateLoader = partials;
        // Includes are cached by name for the context's life: the other form's partial must not be found again.
        CachedTemplates.Clear();
        // Sized for the part's own text, the bulk of most outputs, so the buffer rarely grows; kept for the next part.
        _output.Start(Math.Min(part.Page?.Span.End.Offset + 256 ?? 256, TemplateLimits.OutputLength));
        PushOutput(_output);
        try
        {
            return part.Render(this);
        }
        finally
        {
            PopOutput();
        }
    }

    public override TemplateContext Write(SourceSpan span, object? textAsObject)
    {
        switch (textAsObject)
        {
            case null:
                return this;
            case TrustedHtml trusted:
                return Write(trusted.Html);
            default:
                var text = ObjectToString(textAsObject);
                return Write(_escape && text is not null ? HtmlEscape.Text(text) : text);
        }
    }

    protected override Template CreateTemplate(string templatePath, ScriptNode? callerContext) =>
        _partials.Parsed(templatePath, callerContext?.Span ?? CurrentSpan);

    private static bool Undefined(TemplateContext context, SourceSpan span, ScriptVariable variable, out object? value)
    {
        // Scriban itself looks some names up non-strictly (e.g. its date formatter): only a strict lookup fails.
        value = null;
        return context.StrictVariables ? throw new UndefinedValueException(span, variable.Name) : false;
    }

    private static bool UndefinedMember(TemplateContext context, SourceSpan span, object target, string member, out object? value)
    {
        value = null;
        return context.StrictVariables ? throw new UndefinedValueException(span, member) : false;
    }
}

/// <summary>A value a template uses that the data does not have: the request's problem, named.</summary>
internal sealed class UndefinedValueException(SourceSpan span, string name)
    : ScriptRuntimeException(span, $"'{name}' is not in the data")
{
    public string Name { get; } = name;
}

/// <summary>The bounds every render runs within, so that no template can loop forever or allocate without bound.</summary>
internal static class TemplateLimits
{
    /// <summary>Iterations of all loops of one render, nested or not (Scriban's <c>LoopLimit</c>).</summary>
    public const int Loop = 10_000;

    /// <summary>Depth of function calls and includes.</summary>
    public const int Recursion = 20;

    /// <summary>Characters of one string a template builds; Scriban truncates beyond it.</summary>
    public const int StringLength = 1 << 20;

    /// <summary>Characters one part may render to; a render past it fails (SES takes 40 MB with attachments, a body far less).</summary>
    public const int OutputLength = 1 << 19;
}

/// <summary>The output of one part, failing the render rather than growing past its limit; its buffer is reused.</summary>
internal sealed class BoundedOutput(int limit) : IScriptOutput
{
    /// <summary>A buffer grown larger than this by an unusual render is not kept for the next one.</summary>
    private const int KeptCapacity = 1 << 16;

    private StringBuilder _text = new();

    /// <summary>Empties the output for a part whose text is about <paramref name="capacity"/> characters.</summary>
    public void Start(int capacity)
    {
        if (_text.Capacity > KeptCapacity)
        {
            _text = new StringBuilder(capacity);
        }

        _text.Clear();
        _text.EnsureCapacity(capacity);
    }

    public void Write(string text, int offset, int count)
    {
        if (_text.Length + count > limit)
        {
            throw new TemplateRenderException($"the template renders more than {limit:N0} characters");
        }

        _text.Append(text, offset, count);
    }

    public ValueTask WriteAsync(string text, int offset, int count, CancellationToken cancellationToken)
    {
        Write(text, offset, count);
        return ValueTask.CompletedTask;
    }

    public override string ToString() => _text.ToString();
}
