using System.Text;

namespace Messaging.Engine.Sending;

/// <summary>How an SMS goes over the air: GSM-7 when every character is in the GSM 03.38 alphabet, else UCS-2.</summary>
public enum SmsEncoding
{
    Gsm7,
    Ucs2,
}

/// <summary>
/// An SMS's encoding and the number of segments (billable parts) it takes. GSM-7: 160 septets alone, 153 per part when
/// split, the extension characters (<c>^{}\[~]|€</c> and form feed) taking two and never split. UCS-2: 70 code units
/// alone, 67 per part, a surrogate pair (most emoji) never split.
/// </summary>
/// <param name="Units">Septets (GSM-7) or UTF-16 code units (UCS-2).</param>
/// <param name="ForcedBy">The first character that is not GSM-7, which forced UCS-2; null for GSM-7.</param>
public sealed record SmsSegments(SmsEncoding Encoding, int Units, int Segments, string? ForcedBy)
{
    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Extension = "^{}\\[~]|€\f";

    public static SmsSegments Measure(string text)
    {
        var septets = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var c = rune.IsBmp ? (char)rune.Value : '\0';
            if (rune.IsBmp && Basic.Contains(c, StringComparison.Ordinal))
            {
                septets.Add(1);
            }
            else if (rune.IsBmp && Extension.Contains(c, StringComparison.Ordinal))
            {
                septets.Add(2);
            }
            else
            {
                return Ucs2(text, rune);
            }
        }

        var total = septets.Sum();
        return new SmsSegments(SmsEncoding.Gsm7, total, total <= 160 ? 1 : Split(septets, 153), null);
    }

    private static SmsSegments Ucs2(string text, Rune forcedBy)
    {
        var units = text.EnumerateRunes().Select(r => r.Utf16SequenceLength).ToList();
        var total = units.Sum();
        return new SmsSegments(SmsEncoding.Ucs2, total, total <= 70 ? 1 : Split(units, 67), forcedBy.ToString());
    }

    /// <summary>Parts needed when each holds <paramref name="perPart"/> units and no character is split between parts.</summary>
    private static int Split(List<int> sizes, int perPart)
    {
        var parts = 1;
        var used = 0;
        foreach (var size in sizes)
        {
            if (used + size > perPart)
            {
                parts++;
                used = 0;
            }

            used += size;
        }

        return parts;
    }
}
