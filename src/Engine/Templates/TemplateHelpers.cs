using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using Scriban.Runtime;

namespace Messaging.Engine.Templates;

/// <summary>
/// The functions every template has besides Scriban's own, with the names the docs teach, in both syntaxes:
/// <list type="bullet">
/// <item><c>formatDate value [format] [timeZone] [culture]</c>: an ISO 8601 value in an IANA zone (default: the
/// template's zone and culture, format <c>f</c>).</item>
/// <item><c>formatNumber value [format] [culture]</c>: a number (default format <c>N</c>).</item>
/// <item><c>formatCurrency value code [culture]</c>: an amount in a currency, laid out as the culture does.</item>
/// <item><c>default value fallback</c>: the value, or the fallback when it is missing, null or empty.</item>
/// <item><c>eq a b</c>: equality, for conditions.</item>
/// <item><c>raw value</c>: trusted HTML, written as it is in an HTML part.</item>
/// </list>
/// Scriban passes the optional arguments by name (<c>timeZone: "Asia/Tokyo"</c>) or position; Liquid filters by
/// position. A function given a value it cannot format fails the render with <see cref="TemplateRenderException"/>.
/// </summary>
internal sealed class TemplateHelpers(CultureInfo culture, TimeZoneInfo zone)
{
    private readonly TimeZoneInfo _zone = zone;

    /// <summary>Above this many (culture, currency) pairs, a layout is built per call rather than kept.</summary>
    private const int KeptLayouts = 256;

    // How each (culture, currency) pair lays out an amount: building one reads the culture's region data, which
    // costs more than the formatting itself. Bounded by KeptLayouts.
    private readonly ConcurrentDictionary<(CultureInfo Culture, string Code), NumberFormatInfo> _layouts = new();

    // ISO 4217 code → the symbol and decimals the culture of a region using it writes. Built once, never changed.
    private static readonly FrozenDictionary<string, (string Symbol, int Digits)> Currencies = BuildCurrencies();

    /// <summary>The functions as one read-only global, shared by every render of a compiled template.</summary>
    public ScriptObject ToScriptObject()
    {
        var functions = new ScriptObject();
        functions.SetValue("formatDate", TemplateFunction.OfValueAndStrings("value", [], ["format", "timeZone", "culture"],
            a => FormatDate(a[0], a[1] as string, a[2] as string, a[3] as string)), readOnly: true);
        functions.SetValue("formatNumber", TemplateFunction.OfValueAndStrings("value", [], ["format", "culture"],
            a => FormatNumber(a[0], a[1] as string, a[2] as string)), readOnly: true);
        functions.SetValue("formatCurrency", TemplateFunction.OfValueAndStrings("value", ["code"], ["culture"],
            a => FormatCurrency(a[0], a[1] as string ?? "", a[2] as string)), readOnly: true);
        functions.SetValue("default", TemplateFunction.OfValues(["value", "fallback"], a => Default(a[0], a[1])), readOnly: true);
        functions.SetValue("eq", TemplateFunction.OfValues(["a", "b"], a => Eq(a[0], a[1])), readOnly: true);
        functions.SetValue("raw", TemplateFunction.OfValues(["value"], a => Raw(a[0])), readOnly: true);
        functions.SetValue("include", new PartialInclude(), readOnly: true);
        foreach (var name in functions.Keys.ToList())
        {
            functions.SetReadOnly(name, true);
        }

        return functions;
    }

    public string FormatDate(object? value, string? format = null, string? timeZone = null, string? culture = null)
    {
        var zone = timeZone is null ? _zone : ZoneOf(timeZone);
        var at = value switch
        {
            DateTimeOffset d => d,
            DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d),
            string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) => d,
            _ => throw new TemplateRenderException($"formatDate: '{value}' is not a date (use ISO 8601, e.g. 2026-11-22T10:00:00Z)"),
        };
        return TimeZoneInfo.ConvertTime(at, zone).ToString(format ?? "f", CultureOf(culture, "formatDate"));
    }

    public string FormatNumber(object? value, string? format = null, string? culture = null) =>
        NumberOf(value, "formatNumber").ToString(format ?? "N", CultureOf(culture, "formatNumber"));

    public string FormatCurrency(object? value, string code, string? culture = null)
    {
        var amount = NumberOf(value, "formatCurrency");
        code = (code ?? "").ToUpperInvariant();
        if (!Currencies.TryGetValue(code, out var currency))
        {
            throw new TemplateRenderException($"formatCurrency: '{code}' is not a known ISO 4217 currency code");
        }

        var layout = CultureOf(culture, "formatCurrency");
        var key = (layout, code);
        if (!_layouts.TryGetValue(key, out var numbers))
        {
            numbers = CurrencyLayout(layout, code, currency);
            if (_layouts.Count < KeptLayouts)
            {
                _layouts.TryAdd(key, numbers);
            }
        }

        return amount.ToString("C", numbers);
    }

    private static NumberFormatInfo CurrencyLayout(CultureInfo layout, string code, (string Symbol, int Digits) currency)
    {
        if (!layout.IsNeutralCulture && layout.Name.Length > 0 && new RegionInfo(layout.Name).ISOCurrencySymbol == code)
        {
            // The culture's own currency: its own symbol ("R$" in pt-BR, where another region would say "BRL").
            return layout.NumberFormat;
        }

        var numbers = (NumberFormatInfo)layout.NumberFormat.Clone();
        numbers.CurrencySymbol = currency.Symbol;
        numbers.CurrencyDecimalDigits = currency.Digits;
        return NumberFormatInfo.ReadOnly(numbers);
    }

    public static object? Default(object? value, object? fallback) => value is null or "" ? fallback : value;

    public static bool Eq(object? a, object? b) =>
        string.Equals(Convert.ToString(a, CultureInfo.InvariantCulture), Convert.ToString(b, CultureInfo.InvariantCulture), StringComparison.Ordinal);

    public static TrustedHtml Raw(object? value) => new(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");

    private static decimal NumberOf(object? value, string helper) => value switch
    {
        decimal d => d,
        long l => l,
        int i => i,
        double d => (decimal)d,
        float f => (decimal)f,
        string s when decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
        _ => throw new TemplateRenderException($"{helper}: '{value}' is not a number"),
    };

    private CultureInfo CultureOf(string? name, string helper) =>
        name is null ? culture : TemplateCulture.Parse(name) ?? throw new TemplateRenderException(
            $"{helper}: '{name}' is not a known culture (e.g. en-US, pt-PT)");

    private static TimeZoneInfo ZoneOf(string name) =>
        TemplateCulture.FindZone(name) ?? throw new TemplateRenderException($"formatDate: '{name}' is not a known time zone (e.g. Europe/Lisbon)");

    private static FrozenDictionary<string, (string Symbol, int Digits)> BuildCurrencies()
    {
        var currencies = new Dictionary<string, (string, int)>(StringComparer.Ordinal);
        foreach (var culture in CultureInfo.GetCultures(CultureTypes.SpecificCultures).OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            try
            {
                var region = new RegionInfo(culture.Name);
                currencies.TryAdd(region.ISOCurrencySymbol, (region.CurrencySymbol, culture.NumberFormat.CurrencyDecimalDigits));
            }
            catch (ArgumentException)
            {
                // A culture without a region (none among specific cultures in practice): nothing to learn from it.
            }
        }

        return currencies.ToFrozenDictionary(StringComparer.Ordinal);
    }
}

/// <summary>HTML the template's author vouches for (<c>raw</c>, a partial's output): written without escaping.</summary>
internal sealed record TrustedHtml(string Html)
{
    public override string ToString() => Html;
}

/// <summary>Cultures and time zones as templates name them; null for a name the machine does not know.</summary>
internal static class TemplateCulture
{
    public static CultureInfo? Parse(string name)
    {
        try
        {
            var culture = CultureInfo.GetCultureInfo(name, predefinedOnly: true);
            return culture;
        }
        catch (CultureNotFoundException)
        {
            return null;
        }
    }

    public static TimeZoneInfo? FindZone(string name) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) ? zone : null;
}
