using Scriban;
using Scriban.Parsing;

namespace Messaging.Engine.Templates;

/// <summary>Parses one part in its template's syntax; a parse error carries its span, so problems name the line.</summary>
internal static class TemplateParser
{
    public static Template Parse(string source, string part, TemplateSyntax syntax) =>
        syntax == TemplateSyntax.Liquid ? Template.ParseLiquid(source, part) : Template.Parse(source, part);

    /// <summary>The first error of a part that does not parse, as a compile problem of that part and line.</summary>
    /// <exception cref="TemplateCompileException">The part does not parse.</exception>
    public static Template ParseOrThrow(string source, string part, TemplateSyntax syntax, string? sourceName = null)
    {
        var template = Parse(source, sourceName ?? part, syntax);
        if (template.HasErrors)
        {
            var error = template.Messages.First(m => m.Type == ParserMessageType.Error);
            throw new TemplateCompileException(part, error.Span.Start.Line + 1, error.Message);
        }

        return template;
    }

    public static string NameOf(TemplateSyntax syntax) => syntax == TemplateSyntax.Liquid ? "liquid" : "scriban";
}
