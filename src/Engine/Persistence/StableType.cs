using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Messaging.Engine.Persistence;

/// <summary>One type carried as a System.Text.Json contract under <paramref name="Name"/>, its stable name.</summary>
public sealed record StableType(Type Clr, string Name, JsonTypeInfo Info)
{
    public byte[] Write(object value) => JsonSerializer.SerializeToUtf8Bytes(value, Info);

    /// <exception cref="JsonException">The payload is not this type's contract.</exception>
    public object Read(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize(payload, Info) ?? throw new JsonException($"A {Name} payload was null.");
}
