using System.Text.Json.Serialization;

namespace Messaging.Engine.Recipients.Events;

/// <summary>Why a recipient no longer gets messages. The JSON names are stored in the journal: never change them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SuppressionReason>))]
public enum SuppressionReason
{
    /// <summary>The address bounced permanently.</summary>
    [JsonStringEnumMemberName("permanentBounce")]
    PermanentBounce,

    /// <summary>The recipient marked a message as spam.</summary>
    [JsonStringEnumMemberName("complaint")]
    Complaint,

    /// <summary>Too many transient bounces in a row.</summary>
    [JsonStringEnumMemberName("repeatedTransientBounces")]
    RepeatedTransientBounces,

    /// <summary>The recipient opted out (SMS STOP).</summary>
    [JsonStringEnumMemberName("optedOut")]
    OptedOut,

    /// <summary>An operator suppressed the recipient by hand.</summary>
    [JsonStringEnumMemberName("operator")]
    Operator,
}
