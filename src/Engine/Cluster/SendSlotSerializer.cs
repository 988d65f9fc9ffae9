using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Messaging.Engine.Persistence;

namespace Messaging.Engine.Cluster;

/// <summary>
/// Akka's serializer for the asks to the cluster's send-slot allocator and its answers, as System.Text.Json contracts
/// under stable manifests (never Akka's Newtonsoft default). Bound in <c>config/akka.hocon</c>.
/// </summary>
public sealed class SendSlotSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Sent with every message this serializer wrote; it must never change.</summary>
    public const int Id = 2022;

    public static StableTypeNames Types { get; } = new(
    [
        new(typeof(TakeSendSlot), "take-send-slot.v1", SendSlotJsonContext.Default.TakeSendSlot),
        new(typeof(SendSlot), "send-slot.v1", SendSlotJsonContext.Default.SendSlot),
    ]);

    public override int Identifier => Id;

    public override string Manifest(object o) => Types.Of(o.GetType()).Name;

    public override byte[] ToBinary(object obj) => Types.Of(obj.GetType()).Write(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!Types.TryGet(manifest, out var type))
        {
            throw new SerializationException($"A send-slot message of type '{manifest}' arrived, which this build cannot read.");
        }

        try
        {
            return type.Read(bytes);
        }
        catch (JsonException e)
        {
            throw new SerializationException($"A '{manifest}' send-slot message could not be read: {e.Message}", e);
        }
    }
}
