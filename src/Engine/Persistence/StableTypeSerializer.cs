using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace Messaging.Engine.Persistence;

/// <summary>
/// An Akka serializer for messages that cross nodes as System.Text.Json contracts under their stable names
/// (<see cref="StableTypeNames"/>): the manifest is the name, never the CLR type, so a rename keeps the wire.
/// </summary>
/// <param name="types">Every type this serializer carries, and its name.</param>
/// <param name="carries">What the messages are, for errors: "recipient message".</param>
public abstract class StableTypeSerializer(ExtendedActorSystem system, StableTypeNames types, string carries) : SerializerWithStringManifest(system)
{
    public override string Manifest(object o) => types.Of(o.GetType()).Name;

    public override byte[] ToBinary(object obj) => types.Of(obj.GetType()).Write(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!types.TryGet(manifest, out var type))
        {
            throw new SerializationException($"A {carries} of type '{manifest}' arrived, which this build cannot read. Was it sent by a newer version?");
        }

        try
        {
            return Read(type.Read(bytes));
        }
        catch (JsonException e)
        {
            throw new SerializationException($"A '{manifest}' {carries} could not be read: {e.Message}", e);
        }
    }

    /// <summary>The message as read; a serializer may swap in a shared instance.</summary>
    protected virtual object Read(object message) => message;
}
