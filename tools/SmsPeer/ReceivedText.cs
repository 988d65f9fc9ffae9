using System.Text.Json.Serialization;

namespace Messaging.SmsPeer;

/// <summary>A text the peer accepted (a valid, signed <c>SendTextMessage</c>), as its page and <c>GET /store</c> list it.</summary>
/// <param name="MessageId">The id the peer answered with, as End User Messaging does; its events carry it.</param>
/// <param name="To">DestinationPhoneNumber.</param>
/// <param name="Body">MessageBody.</param>
/// <param name="From">OriginationIdentity, when given.</param>
/// <param name="MessageType">TRANSACTIONAL or PROMOTIONAL, when given.</param>
/// <param name="Context">Context (the engine puts its messageId there).</param>
/// <param name="ConfigurationSet">ConfigurationSetName, when given.</param>
/// <param name="ReceivedAt">When it arrived.</param>
public sealed record ReceivedText(
    [property: JsonPropertyName("messageId")] string MessageId,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("body")] string? Body,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("messageType")] string? MessageType,
    [property: JsonPropertyName("context")] IReadOnlyDictionary<string, string> Context,
    [property: JsonPropertyName("configurationSet")] string? ConfigurationSet,
    [property: JsonPropertyName("receivedAt")] DateTimeOffset ReceivedAt);
