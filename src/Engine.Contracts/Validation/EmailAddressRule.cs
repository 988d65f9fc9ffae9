using System.Net.Mail;

namespace Messaging.Contracts.Validation;

/// <summary>
/// Whether a string is an address SES can send to. Parsing is the BCL's <see cref="MailAddress"/>;
/// on top of it go the rules SES adds: a 7-bit local part (SES has no SMTPUTF8), a Punycode domain
/// with a top-level part, and the RFC 5321 length limits. A quoted local part is accepted only when
/// it needs no quotes (<c>"ana"@example.com</c>), so that <see cref="Normalize"/> can give every
/// accepted mailbox one spelling.
/// </summary>
public static class EmailAddressRule
{
    /// <summary>Longest address SMTP carries (RFC 5321 path limit less the angle brackets).</summary>
    public const int MaxLength = 254;

    private const string SenderExample = "such as shop@example.com or Shop <shop@example.com>";

    /// <summary>Returns why <paramref name="value"/> is not a bare address SES accepts, or null when it is.</summary>
    public static string? Check(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MaxLength + 200)
        {
            return $"is {value.Length} characters; an email address can be at most {MaxLength}";
        }

        if (!value.Contains('@', StringComparison.Ordinal))
        {
            return "is not an email address: it has no '@'";
        }

        if (!MailAddress.TryCreate(value, out var parsed))
        {
            return "is not a valid email address";
        }

        if (parsed.DisplayName.Length > 0 || !string.Equals(parsed.Address, value, StringComparison.Ordinal))
        {
            return "must be a bare address such as ana@example.com, without a display name or angle brackets";
        }

        var address = parsed.Address;
        if (address.Length > MaxLength)
        {
            return $"is {address.Length} characters; an email address can be at most {MaxLength}";
        }

        var at = address.LastIndexOf('@');
        var local = address.AsSpan(0, at);
        var domain = address.AsSpan(at + 1);
        if (local.Length > 64)
        {
            return $"has {local.Length} characters before the '@'; at most 64 are allowed";
        }

        if (local.StartsWith('"') && !(Unquote(local) is { } unquoted && IsDotAtom(unquoted)))
        {
            return "has a quoted part before the '@' that cannot be written without quotes; only quoted names that need no quotes " +
                "(\"ana\"@example.com, the same mailbox as ana@example.com) are accepted";
        }

        if (!System.Text.Ascii.IsValid(local))
        {
            return "has non-ASCII characters before the '@'; SES cannot send to such addresses";
        }

        if (!System.Text.Ascii.IsValid(domain))
        {
            return "has a non-ASCII domain; write it in Punycode (xn--…)";
        }

        return CheckDomain(domain);
    }

    /// <summary>
    /// Returns why <paramref name="value"/> is not exactly one sender, or null when it is: a bare address, or a
    /// display name and the address in angle brackets (<c>Shop &lt;shop@example.com&gt;</c>,
    /// <c>"Shop, Inc" &lt;shop@example.com&gt;</c>). The raw text is checked, as it goes to SES: a list of addresses,
    /// a comment or a line break is refused even where a lenient parser would find one address in it.
    /// </summary>
    public static string? CheckSender(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MaxLength + 200)
        {
            return $"is {value.Length} characters; a sender can be at most {MaxLength + 200} (an address of at most {MaxLength} and its display name)";
        }

        if (HeaderTextRule.Check(value) is { } unsafeText)
        {
            return unsafeText;
        }

        var sender = value.Trim();
        if (SplitSender(sender, out var displayName, out var address, out var bracketed) is { } problem)
        {
            return problem;
        }

        if (displayName.Length > 0 && CheckDisplayName(displayName) is { } badName)
        {
            return badName;
        }

        return Check(address) is { } badAddress ? (bracketed ? $"has an address in angle brackets that {badAddress}" : badAddress) : null;
    }

    /// <summary>
    /// The one spelling of an address the engine keys a recipient by: trimmed, lower-cased, and a quoted local part
    /// that needs no quotes unquoted (<c>"Ana"@Example.com</c> → <c>ana@example.com</c>, the same mailbox under
    /// RFC 5321). Meant for addresses <see cref="Check"/> accepts.
    /// </summary>
    public static string Normalize(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var trimmed = address.Trim();
        var at = trimmed.LastIndexOf('@');
        if (at > 0 && trimmed[0] == '"' && Unquote(trimmed.AsSpan(0, at)) is { } unquoted && IsDotAtom(unquoted))
        {
            trimmed = string.Concat(unquoted, trimmed.AsSpan(at));
        }

        return trimmed.ToLowerInvariant();
    }

    /// <summary>Splits a sender at its angle brackets, refusing lists, comments and stray brackets or quotes.</summary>
    private static string? SplitSender(string sender, out string displayName, out string address, out bool bracketed)
    {
        displayName = string.Empty;
        address = sender;
        bracketed = false;
        int open = -1, close = -1;
        var quoted = false;
        for (var i = 0; i < sender.Length; i++)
        {
            var c = sender[i];
            if (quoted)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case ',' or ';':
                    return $"names more than one address (there is a '{c}' outside quotes); a sender is exactly one address, {SenderExample}";
                case '(' or ')':
                    return $"has a comment in parentheses; give the name as a display name, {SenderExample}";
                case '<' when open >= 0:
                    return $"names more than one address (there are two '<'); a sender is exactly one address, {SenderExample}";
                case '<':
                    open = i;
                    break;
                case '>' when close >= 0 || open < 0:
                    return $"has a '>' without its '<'; write a sender {SenderExample}";
                case '>':
                    close = i;
                    break;
            }
        }

        if (quoted)
        {
            return "has a '\"' that is never closed";
        }

        if (open < 0)
        {
            return null;
        }

        if (close != sender.Length - 1)
        {
            return $"must end with the address in angle brackets, {SenderExample}";
        }

        displayName = sender[..open].TrimEnd();
        address = sender[(open + 1)..close];
        bracketed = true;
        return null;
    }

    private static string? CheckDisplayName(string name)
    {
        if (name[0] == '"')
        {
            // The scan in SplitSender has checked its escapes; here only what stands outside the quotes is left.
            var end = ClosingQuote(name);
            return end == name.Length - 1
                ? null
                : "has text outside the quotes of its display name; quote the whole name: \"Shop, Inc\" <shop@example.com>";
        }

        foreach (var c in name)
        {
            if (c is '"' or '[' or ']' or ':' or '@' or '\\')
            {
                return $"has '{c}' in its display name; put the whole name in double quotes: \"Shop: Lisbon\" <shop@example.com>";
            }
        }

        return null;
    }

    private static int ClosingQuote(string quoted)
    {
        for (var i = 1; i < quoted.Length; i++)
        {
            if (quoted[i] == '\\')
            {
                i++;
            }
            else if (quoted[i] == '"')
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The content of a quoted string (<c>"vic\tim"</c> → <c>victim</c>), or null when it is not one quoted string.</summary>
    private static string? Unquote(ReadOnlySpan<char> quoted)
    {
        if (quoted.Length < 2 || quoted[0] != '"' || quoted[^1] != '"')
        {
            return null;
        }

        var inner = quoted[1..^1];
        var content = new System.Text.StringBuilder(inner.Length);
        for (var i = 0; i < inner.Length; i++)
        {
            if (inner[i] == '"')
            {
                return null;
            }

            if (inner[i] == '\\')
            {
                if (++i == inner.Length)
                {
                    return null;
                }
            }

            content.Append(inner[i]);
        }

        return content.ToString();
    }

    /// <summary>RFC 5322 dot-atom: what a local part may be without quotes.</summary>
    private static bool IsDotAtom(string text)
    {
        if (text.Length == 0 || text[0] == '.' || text[^1] == '.' || text.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && !"!#$%&'*+-/=?^_`{|}~.".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string? CheckDomain(ReadOnlySpan<char> domain)
    {
        if (domain.StartsWith('[') || domain.IndexOf('.') < 0)
        {
            return "needs a domain name with a top-level domain after the '@', such as example.com";
        }

        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.Length is 0 or > 63)
            {
                return "has an empty or over-long part in its domain";
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return "has a domain part that starts or ends with '-'";
            }

            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return $"has '{c}' in its domain; only letters, digits, '-' and '.' are allowed there";
                }
            }
        }

        return null;
    }
}
