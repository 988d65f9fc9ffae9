using System.Collections.Frozen;
using System.Globalization;
using HandlebarsDotNet;
using HandlebarsDotNet.Compiler;

namespace Messaging.Engine.Templates;

/// <summary>
/// The helpers every template has, on top of Handlebars' own <c>if</c>, <c>unless</c>, <c>each</c> and <c>with</c>:
/// <list type="bullet">
/// <item><c>{{formatDate value "d MMMM yyyy HH:mm" timeZone="Europe/Lisbon" culture="pt-PT"}}</c>: an ISO 8601 value
/// in a time zone; format and hash arguments optional (default: the template's culture and zone, format <c>f</c>).</item>
/// <item><c>{{formatNumber value "N2" culture="de-DE"}}</c>: a number (default format <c>N</c>).</item>
/// <item><c>{{formatCurrency value "EUR" culture="de-DE"}}</c>: an amount in a currency, laid out as the culture does.</item>
/// <item><c>{{default value "friend"}}</c>: the value, or the fallback when it is missing, null or empty.</item>
/// <item><c>{{#if (eq status "late")}}</c>: equality, for conditions.</item>
/// </list>
/// A helper given a value it cannot format fails the render with <see cref="TemplateRenderException"/>.
/// </summary>
internal static class TemplateHelpers
{
    // ISO 4217 code → the symbol and decimals the culture of a region using it writes. Built once, never changed.
    private static readonly FrozenDictionary<string, (string Symbol, int Digits)> Currencies = BuildCurrencies();

    public static void Register(IHandlebars handlebars, CultureInfo culture, TimeZoneInfo timeZone)
    {
        handlebars.RegisterHelper("formatDate", (in HelperOptions _, in Context _, in Arguments arguments) =>
        {
            var (positional, hash) = Split(arguments, "formatDate", 1);
            var value = positional[0];
            var format = positional.Length > 1 ? AsString(positional[1]) : "f";
            var zone = hash.TryGetValue("timeZone", out var z) ? ZoneOf(AsString(z), "formatDate") : timeZone;
            var at = value switch
            {
                DateTimeOffset d => d,
                DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d),
                string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) => d,
                _ => throw new TemplateRenderException($"formatDate: '{value}' is not a date (use ISO 8601, e.g. 2026-11-22T10:00:00Z)"),
            };
            return TimeZoneInfo.ConvertTime(at, zone).ToString(format, CultureOf(hash, culture, "formatDate"));
        });

        handlebars.RegisterHelper("formatNumber", (in HelperOptions _, in Context _, in Arguments arguments) =>
        {
            var (positional, hash) = Split(arguments, "formatNumber", 1);
            var format = positional.Length > 1 ? AsString(positional[1]) : "N";
            return NumberOf(positional[0], "formatNumber").ToString(format, CultureOf(hash, culture, "formatNumber"));
        });

        handlebars.RegisterHelper("formatCurrency", (in HelperOptions _, in Context _, in Arguments arguments) =>
        {
            var (positional, hash) = Split(arguments, "formatCurrency", 2);
            var amount = NumberOf(positional[0], "formatCurrency");
            var code = AsString(positional[1]).ToUpperInvariant();
            if (!Currencies.TryGetValue(code, out var currency))
            {
                throw new TemplateRenderException($"formatCurrency: '{code}' is not a known ISO 4217 currency code");
            }

            var layout = CultureOf(hash, culture, "formatCurrency");
            if (!layout.IsNeutralCulture && layout.Name.Length > 0 && new RegionInfo(layout.Name).ISOCurrencySymbol == code)
            {
                // The culture's own currency: its own symbol ("R$" in pt-BR, where another region would say "BRL").
                return amount.ToString("C", layout);
            }

            var numbers = (NumberFormatInfo)layout.NumberFormat.Clone();
            numbers.CurrencySymbol = currency.Symbol;
            numbers.CurrencyDecimalDigits = currency.Digits;
            return amount.ToString("C", numbers);
        });

        handlebars.RegisterHelper("default", (in HelperOptions _, in Context _, in Arguments arguments) =>
        {
            var (positional, _) = Split(arguments, "default", 2);
            return positional[0] is null || (positional[0] is string s && s.Length == 0) ? positional[1] : positional[0];
        });

        handlebars.RegisterHelper("eq", (in HelperOptions _, in Context _, in Arguments arguments) =>
        {
            var (positional, _) = Split(arguments, "eq", 2);
            return string.Equals(
                Convert.ToString(positional[0], CultureInfo.InvariantCulture),
                Convert.ToString(positional[1], CultureInfo.InvariantCulture),
                StringComparison.Ordinal);
        });
    }

    /// <summary>Positional arguments and the hash (<c>name=value</c>), which Handlebars passes as the last argument.</summary>
    private static (object?[] Positional, IDictionary<string, object?> Hash) Split(Arguments arguments, string helper, int required)
    {
        var count = arguments.Length;
        IDictionary<string, object?> hash = new Dictionary<string, object?>();
        if (count > 0 && arguments[count - 1] is HashParameterDictionary given)
        {
            hash = given!;
            count--;
        }

        if (count < required)
        {
            throw new TemplateRenderException($"{helper} needs {required} argument{(required == 1 ? "" : "s")}, got {count}");
        }

        var positional = new object?[count];
        for (var i = 0; i < count; i++)
        {
            positional[i] = arguments[i];
        }

        return (positional, hash);
    }

    private static string AsString(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    private static decimal NumberOf(object? value, string helper) => value switch
    {
        decimal d => d,
        long l => l,
        int i => i,
        double d => (decimal)d,
        string s when decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
        _ => throw new TemplateRenderException($"{helper}: '{value}' is not a number"),
    };

    private static CultureInfo CultureOf(IDictionary<string, object?> hash, CultureInfo fallback, string helper) =>
        hash.TryGetValue("culture", out var name) ? TemplateCulture.Parse(AsString(name)) ?? throw new TemplateRenderException(
            $"{helper}: '{name}' is not a known culture (e.g. en-US, pt-PT)") : fallback;

    private static TimeZoneInfo ZoneOf(string name, string helper) =>
        TemplateCulture.FindZone(name) ?? throw new TemplateRenderException($"{helper}: '{name}' is not a known time zone (e.g. Europe/Lisbon)");

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
