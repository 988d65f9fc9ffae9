using System.Net.Mail;

namespace Messaging.Contracts.Validation;

/// <summary>
/// Whether a string is an address SES can send to. Parsing is the BCL's <see cref="MailAddress"/>;
/// on top of it go the rules SES adds: a 7-bit local part (SES has no SMTPUTF8), a Punycode domain
/// with a top-level part, and the RFC 5321 length limits.
/// </summary>
public static class EmailAddressRule
{
    /// <summary>Longest address SMTP carries (RFC 5321 path limit less the angle brackets).</summary>
    public const int MaxLength = 254;

    /// <summary>Returns why <paramref name="value"/> is not a bare address SES accepts, or null when it is.</summary>
    public static string? Check(string value) => Check(value, allowDisplayName: false);

    /// <summary>
    /// Like <see cref="Check(string)"/>, but for a sender, which may carry a display name
    /// (<c>Shop &lt;shop@example.com&gt;</c>).
    /// </summary>
    public static string? CheckSender(string value) => Check(value, allowDisplayName: true);

    private static string? Check(string value, bool allowDisplayName)
    {
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

        if (!allowDisplayName && (parsed.DisplayName.Length > 0 || !string.Equals(parsed.Address, value, StringComparison.Ordinal)))
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
