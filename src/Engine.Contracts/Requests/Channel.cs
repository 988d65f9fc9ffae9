using System.Text.Json.Serialization;

namespace Messaging.Contracts.Requests;

/// <summary>How a request reaches its recipient.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Channel>))]
public enum Channel
{
    /// <summary>An email sent through Amazon SES v2.</summary>
    [JsonStringEnumMemberName("email")]
    Email,

    /// <summary>A text message sent through AWS End User Messaging SMS.</summary>
    [JsonStringEnumMemberName("sms")]
    Sms,
}
