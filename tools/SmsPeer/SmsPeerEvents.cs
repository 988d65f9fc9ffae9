using System.Text.Json.Nodes;

namespace Messaging.SmsPeer;

/// <summary>The records End User Messaging SMS publishes (event destinations, two-way replies), for a text the peer accepted.</summary>
public static class SmsPeerEvents
{
    /// <summary>The peer's own number, the origination of every text it "delivers" and the destination of replies.</summary>
    public const string PeerNumber = "+18005550100";

    /// <summary>A status event, e.g. <c>TEXT_DELIVERED</c>, carrying the text's id and context as the real one does.</summary>
    public static string Status(ReceivedText text, string eventType, DateTimeOffset at)
    {
        var context = new JsonObject();
        foreach (var (key, value) in text.Context)
        {
            context[key] = value;
        }

        return new JsonObject
        {
            ["eventType"] = eventType,
            ["eventVersion"] = "1.0",
            ["eventTimestamp"] = at.ToUnixTimeMilliseconds(),
            ["isFinal"] = eventType is not ("TEXT_PENDING" or "TEXT_QUEUED" or "TEXT_SENT"),
            ["originationPhoneNumber"] = text.From ?? PeerNumber,
            ["destinationPhoneNumber"] = text.To,
            ["isInternationalSend"] = false,
            ["isoCountryCode"] = "US",
            ["messageId"] = text.MessageId,
            ["messageRequestTimestamp"] = text.ReceivedAt.ToUnixTimeMilliseconds(),
            ["messageEncoding"] = "GSM",
            ["messageType"] = text.MessageType ?? "TRANSACTIONAL",
            ["messageStatus"] = eventType["TEXT_".Length..],
            ["messageStatusDescription"] = eventType == "TEXT_DELIVERED" ? "Message has been accepted by phone" : eventType,
            ["totalMessageParts"] = 1,
            ["totalMessagePrice"] = 0.0,
            ["totalCarrierFee"] = 0.0,
            ["context"] = context,
        }.ToJsonString();
    }

    /// <summary>A reply from the text's recipient (two-way messaging), e.g. <c>STOP</c>.</summary>
    public static string Inbound(ReceivedText text, string body) => new JsonObject
    {
        ["originationNumber"] = text.To,
        ["destinationNumber"] = text.From ?? PeerNumber,
        ["messageKeyword"] = "KEYWORD_000000000000",
        ["messageBody"] = body,
        ["inboundMessageId"] = Guid.NewGuid().ToString(),
        ["previousPublishedMessageId"] = text.MessageId,
    }.ToJsonString();
}
