namespace Messaging.Contracts.Validation;

/// <summary>
/// Whether a string may go into a mail header line (subject, sender): one line, no control characters. A CR or LF
/// there would end the header and let the rest of the value write headers of its own (<c>Bcc:</c>), so every
/// header-bound value is checked on its raw text, whether a producer wrote it or a template rendered it.
/// </summary>
public static class HeaderTextRule
{
    /// <summary>Returns why <paramref name="value"/> cannot go into a header, or null when it can.</summary>
    public static string? Check(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is '\r' or '\n' or '\u2028' or '\u2029' or '\u0085')
            {
                return $"has a line break (U+{(int)c:X4}) at position {i + 1}; it goes into a mail header, which must be one line";
            }

            if (char.IsControl(c))
            {
                return $"has a control character (U+{(int)c:X4}) at position {i + 1}; it goes into a mail header, which allows none (tabs included)";
            }
        }

        return null;
    }
}
