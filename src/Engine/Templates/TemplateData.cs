using System.Text.Json;
using Scriban.Runtime;

namespace Messaging.Engine.Templates;

/// <summary>
/// A request's <c>data</c> (JSON) as the values Scriban binds to: the top level as a dictionary (validation blanks
/// one variable at a time), nested objects and lists as Scriban's own objects and arrays, strings, numbers, booleans.
/// </summary>
internal static class TemplateData
{
    public static Dictionary<string, object?> From(JsonElement? data)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (data is { ValueKind: JsonValueKind.Object } root)
        {
            foreach (var property in root.EnumerateObject())
            {
                values[property.Name] = ValueOf(property.Value);
            }
        }

        return values;
    }

    private static object? ValueOf(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new ScriptObject(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    map[property.Name] = ValueOf(property.Value);
                }

                return map;
            case JsonValueKind.Array:
                var list = new ScriptArray(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    list.Add(ValueOf(item));
                }

                return list;
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                return element.TryGetInt64(out var l) ? l : element.TryGetDecimal(out var d) ? d : element.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }
}
