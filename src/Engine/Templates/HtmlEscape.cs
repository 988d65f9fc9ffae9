using System.Buffers;
using System.Text;

namespace Messaging.Engine.Templates;

/// <summary>
/// Escapes a value for any place in HTML a template may put it: text, a quoted attribute, and an unquoted one too,
/// where a space or <c>=</c> would otherwise start a new attribute. The characters Handlebars escaped
/// (<c>&amp; &lt; &gt; " ' ` =</c>) and whitespace become character references, which browsers read back as the same
/// characters, so the value shows unchanged but can never become markup.
/// </summary>
internal static class HtmlEscape
{
    private static readonly SearchValues<char> Special = SearchValues.Create("&<>\"'`= \t\n\r\f");

    public static string Text(string value)
    {
        var first = value.AsSpan().IndexOfAny(Special);
        if (first < 0)
        {
            return value;
        }

        var escaped = new StringBuilder(value.Length + 16);
        escaped.Append(value, 0, first);
        foreach (var c in value.AsSpan(first))
        {
            _ = c switch
            {
                '&' => escaped.Append("&amp;"),
                '<' => escaped.Append("&lt;"),
                '>' => escaped.Append("&gt;"),
                '"' => escaped.Append("&quot;"),
                '\'' => escaped.Append("&#39;"),
                '`' => escaped.Append("&#96;"),
                '=' => escaped.Append("&#61;"),
                ' ' => escaped.Append("&#32;"),
                '\t' => escaped.Append("&#9;"),
                '\n' => escaped.Append("&#10;"),
                '\r' => escaped.Append("&#13;"),
                '\f' => escaped.Append("&#12;"),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }
}
