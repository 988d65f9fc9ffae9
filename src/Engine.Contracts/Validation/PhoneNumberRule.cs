namespace Messaging.Contracts.Validation;

/// <summary>Whether a string is an E.164 phone number: '+', a country code not starting with 0, 7 to 15 digits in all.</summary>
public static class PhoneNumberRule
{
    /// <summary>Returns why <paramref name="value"/> is not an E.164 number, or null when it is.</summary>
    public static string? Check(string value)
    {
        const string Expected = "is not an E.164 phone number such as +15551234567";
        if (value.Length == 0 || value[0] != '+')
        {
            return $"{Expected}: it must start with '+' and the country code";
        }

        var digits = value.AsSpan(1);
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return $"{Expected}: only digits may follow the '+' (no spaces, dashes or brackets)";
            }
        }

        if (digits.Length > 0 && digits[0] == '0')
        {
            return $"{Expected}: the country code cannot start with 0";
        }

        if (digits.Length is < 7 or > 15)
        {
            return $"{Expected}: it has {digits.Length} digits; E.164 numbers have 7 to 15";
        }

        return null;
    }
}
