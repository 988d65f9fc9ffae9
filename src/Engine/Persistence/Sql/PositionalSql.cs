using System.Collections.Concurrent;
using System.Text;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>
/// A statement's named placeholders (<c>@pid</c>) turned into PostgreSQL's positional ones (<c>$1</c>), once per SQL
/// text. Npgsql rewrites named placeholders itself, but on every execution (it parses the text, builds a name lookup
/// and a new string each time: a quarter of the engine's allocations at 500 sends/s on PostgreSQL); given unnamed
/// parameters and a text that is already positional it sends the text as it is.
/// </summary>
/// <remarks>
/// Only what is plainly safe is rewritten: one statement, every parameter used and every placeholder given, no dollar
/// quoting. Anything else is left named (<see cref="For"/> answers null), and Npgsql handles it as before.
/// </remarks>
internal static class PositionalSql
{
    // Bounded by the engine's own SQL texts (constants): nothing a caller supplies becomes a key.
    private static readonly ConcurrentDictionary<string, Rewrite?> Cache = new(StringComparer.Ordinal);

    /// <summary>The positional text for <paramref name="sql"/> with <paramref name="parameters"/> in this order, or null to keep it named.</summary>
    public static string? For(string sql, ReadOnlySpan<(string Name, object Value)> parameters)
    {
        if (!Cache.TryGetValue(sql, out var rewrite))
        {
            rewrite = Parse(sql, NamesOf(parameters));
            Cache.TryAdd(sql, rewrite);
        }

        if (rewrite is null)
        {
            return null;
        }

        if (rewrite.Names.Length != parameters.Length)
        {
            return null;
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            if (!string.Equals(rewrite.Names[i], parameters[i].Name, StringComparison.Ordinal))
            {
                // The same text with its parameters in another order: not what the cached rewrite numbered.
                return null;
            }
        }

        return rewrite.Text;
    }

    private static string[] NamesOf(ReadOnlySpan<(string Name, object Value)> parameters)
    {
        var names = new string[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            names[i] = parameters[i].Name;
        }

        return names;
    }

    /// <summary>Numbers each placeholder by its parameter's place; null when the text is not plainly one statement.</summary>
    internal static Rewrite? Parse(string sql, string[] names)
    {
        if (sql.Contains('$', StringComparison.Ordinal) || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            return null;
        }

        var used = new bool[names.Length];
        var text = new StringBuilder(sql.Length);
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c is '\'' or '"')
            {
                // A literal or a quoted identifier, copied as it is ('' and "" escape their quote).
                var end = sql.IndexOf(c, i + 1);
                if (end < 0)
                {
                    return null;
                }

                text.Append(sql, i, end - i + 1);
                i = end + 1;
            }
            else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                var end = sql.IndexOf('\n', i);
                end = end < 0 ? sql.Length : end;
                text.Append(sql, i, end - i);
                i = end;
            }
            else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    return null;
                }

                text.Append(sql, i, end + 2 - i);
                i = end + 2;
            }
            else if (c == ';' && sql.AsSpan(i + 1).Trim().Length > 0)
            {
                // More than one statement: PostgreSQL prepares one at a time, so Npgsql must split it.
                return null;
            }
            else if (c == '@' && i + 1 < sql.Length && IsNameStart(sql[i + 1]))
            {
                var end = i + 1;
                while (end < sql.Length && IsNamePart(sql[end]))
                {
                    end++;
                }

                var place = Array.IndexOf(names, sql[i..end]);
                if (place < 0)
                {
                    return null;
                }

                used[place] = true;
                text.Append('$').Append(place + 1);
                i = end;
            }
            else
            {
                text.Append(c);
                i++;
            }
        }

        // An unused parameter would still be sent, and PostgreSQL cannot type one it never sees used.
        return Array.TrueForAll(used, u => u) ? new Rewrite(text.ToString(), names) : null;
    }

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    internal sealed record Rewrite(string Text, string[] Names);
}
