using System.Text.Json.Serialization;

namespace Messaging.Contracts.Requests;

/// <summary>
/// What kind of message this is. Transactional mail (receipts, password resets) goes first and is
/// never held back by marketing frequency caps or a reputation pause.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<Category>))]
public enum Category
{
    /// <summary>A message the recipient expects because of something they did.</summary>
    [JsonStringEnumMemberName("transactional")]
    Transactional,

    /// <summary>A promotional message; subject to caps, quiet hours and reputation pauses.</summary>
    [JsonStringEnumMemberName("marketing")]
    Marketing,
}
