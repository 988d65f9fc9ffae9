using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Engine.Recipients;

/// <summary>A <see cref="RecipientKey"/> as its text (<c>email:ana@example.com</c>), read back through <see cref="RecipientKey.TryParse"/>.</summary>
public sealed class RecipientKeyJsonConverter : JsonConverter<RecipientKey>
{
    public override RecipientKey Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        RecipientKey.TryParse(reader.GetString(), out var key)
            ? key
            : throw new JsonException($"'{reader.GetString()}' is not a recipient key (email:… or sms:…).");

    public override void Write(Utf8JsonWriter writer, RecipientKey value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
