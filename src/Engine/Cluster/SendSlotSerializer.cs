using Akka.Actor;
using Messaging.Engine.Persistence;

namespace Messaging.Engine.Cluster;

/// <summary>
/// Akka's serializer for the asks to the cluster's send-slot allocator and its answers, as System.Text.Json contracts
/// under stable manifests (never Akka's Newtonsoft default). Bound in <c>config/akka.hocon</c>.
/// </summary>
public sealed class SendSlotSerializer(ExtendedActorSystem system) : StableTypeSerializer(system, Types, "send-slot message")
{
    /// <summary>Sent with every message this serializer wrote; it must never change.</summary>
    public const int Id = 2022;

    public static StableTypeNames Types { get; } = new(
    [
        // v2: places held until their call is given back (v1 were timed slots; a v1 node cannot share slots with these).
        new(typeof(TakeSendSlot), "take-send-slot.v2", SendSlotJsonContext.Default.TakeSendSlot),
        new(typeof(SendSlot), "send-slot.v2", SendSlotJsonContext.Default.SendSlot),
        new(typeof(SendSlotRefused), "send-slot-refused.v1", SendSlotJsonContext.Default.SendSlotRefused),
        new(typeof(ReturnSendSlot), "return-send-slot.v1", SendSlotJsonContext.Default.ReturnSendSlot),
    ]);

    public override int Identifier => Id;
}
