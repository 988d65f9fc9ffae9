using System.Text.Encodings.Web;
using System.Text.Json;

namespace Messaging.Host.Cli;

/// <summary>How the commands write for people: one-line problems, and JSON that shows quotes and markup as they are.</summary>
internal static class CliText
{
    /// <summary>
    /// JSON for a terminal: the default encoder writes <c>"</c> and <c>&lt;</c> as <c>\u0022</c> and <c>\u003C</c>, which
    /// makes previewed HTML unreadable. Nothing here is embedded in a web page, so the relaxed encoder is safe.
    /// </summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The first line of <paramref name="message"/>: a problem should fit one line a person can act on.</summary>
    public static string OneLine(string message)
    {
        var line = message.AsSpan().Trim();
        var end = line.IndexOfAny('\r', '\n');
        return (end < 0 ? line : line[..end].TrimEnd()).ToString();
    }

    /// <summary>A table cell on one line: line breaks (a multi-line reason) would break the table's columns.</summary>
    public static string Cell(string value) => value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal)
        ? string.Join(" ⏎ ", value.Split(["\r\n", "\n", "\r"], StringSplitOptions.None).Select(l => l.Trim()))
        : value;
}
