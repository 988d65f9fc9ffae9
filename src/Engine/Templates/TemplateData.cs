using System.Text.Json;

namespace Messaging.Engine.Templates;

/// <summary>A request's <c>data</c> (JSON) as the plain values Handlebars binds to: objects, lists, strings, numbers.</summary>
internal static class TemplateData
{
    public static Dictionary<string, object?> From(JsonElement? data)
    {
        if (data is not { ValueKind: JsonValueKind.Object } root)
        {
            return new Dictionary<string, object?>(StringComparer.Ordinal);
        }

        return (Dictionary<string, object?>)ValueOf(root)!;
    }

    private static object? ValueOf(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Aggregate(
            new Dictionary<string, object?>(StringComparer.Ordinal),
            (map, property) =>
            {
                map[property.Name] = ValueOf(property.Value);
                return map;
            }),
        JsonValueKind.Array => element.EnumerateArray().Select(ValueOf).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? l : element.TryGetDecimal(out var d) ? d : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
