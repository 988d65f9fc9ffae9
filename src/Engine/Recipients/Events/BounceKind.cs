using System.Text.Json.Serialization;

namespace Messaging.Engine.Recipients.Events;

/// <summary>Permanent: the address does not exist or refuses for good. Transient: full mailbox, greylisting, a blip.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BounceKind>))]
public enum BounceKind
{
    [JsonStringEnumMemberName("permanent")]
    Permanent,

    [JsonStringEnumMemberName("transient")]
    Transient,
}
