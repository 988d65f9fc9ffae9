using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Serialization;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// Akka's serializer for recipient events and state: the string manifest is the event's stable, versioned type name
/// (<c>recipient.sent.v1</c>) and the bytes its System.Text.Json contract, exactly as the in-house journal stores them,
/// so histories read the same through either. Bound in <c>config/akka.hocon</c>; never Akka's Newtonsoft default.
/// </summary>
public sealed class RecipientEventAkkaSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Stored with every row this serializer wrote; it must never change.</summary>
    public const int Id = 2020;

    private readonly RecipientEventSerializer _serializer = new();

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        IRecipientEvent e => _serializer.TypeNameOf(e),
        RecipientState => RecipientEventSerializer.StateType,
        _ => throw new ArgumentException($"{o.GetType()} is not a recipient event or state.", nameof(o)),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        IRecipientEvent e => AsArray(_serializer.Serialize(e).Payload),
        RecipientState state => AsArray(_serializer.SerializeState(state).Payload),
        _ => throw new ArgumentException($"{obj.GetType()} is not a recipient event or state.", nameof(obj)),
    };

    public override object FromBinary(byte[] bytes, string manifest) => manifest == RecipientEventSerializer.StateType
        ? _serializer.DeserializeState(manifest, bytes)
        : _serializer.Deserialize(manifest, bytes);

    private static byte[] AsArray(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToArray();
}
