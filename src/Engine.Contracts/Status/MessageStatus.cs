using System.Text.Json.Serialization;

namespace Messaging.Contracts.Status;

/// <summary>Where a request stands. Statuses move forward; engagement (opened, clicked) is recorded beside them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessageStatus>))]
public enum MessageStatus
{
    /// <summary>Valid and recorded; not yet handed to the provider.</summary>
    [JsonStringEnumMemberName("accepted")]
    Accepted,

    /// <summary>Held until its <c>notBefore</c> time.</summary>
    [JsonStringEnumMemberName("scheduled")]
    Scheduled,

    /// <summary>The provider accepted it.</summary>
    [JsonStringEnumMemberName("sent")]
    Sent,

    /// <summary>The recipient's server or handset accepted it.</summary>
    [JsonStringEnumMemberName("delivered")]
    Delivered,

    /// <summary>Delivery failed for now and the provider gave up (soft bounce).</summary>
    [JsonStringEnumMemberName("softBounced")]
    SoftBounced,

    /// <summary>The address does not exist or refuses mail (hard bounce).</summary>
    [JsonStringEnumMemberName("bounced")]
    Bounced,

    /// <summary>The recipient marked it as spam.</summary>
    [JsonStringEnumMemberName("complained")]
    Complained,

    /// <summary>Not sent because the recipient is suppressed.</summary>
    [JsonStringEnumMemberName("suppressed")]
    Suppressed,

    /// <summary>Not sent: the request itself is wrong (validation, unknown template, missing variable).</summary>
    [JsonStringEnumMemberName("rejected")]
    Rejected,

    /// <summary>Not sent: the provider refused it permanently.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Moved to the dead-letter queue after repeated transient failures.</summary>
    [JsonStringEnumMemberName("deadLettered")]
    DeadLettered,

    /// <summary>The recipient opened it (email).</summary>
    [JsonStringEnumMemberName("opened")]
    Opened,

    /// <summary>The recipient clicked a link (email).</summary>
    [JsonStringEnumMemberName("clicked")]
    Clicked,

    /// <summary>
    /// Handed to the provider, but its answer never arrived (the process stopped or the call timed out). Not sent
    /// again under at-most-once delivery; the provider's own events settle it.
    /// </summary>
    [JsonStringEnumMemberName("unknown")]
    Unknown,
}
