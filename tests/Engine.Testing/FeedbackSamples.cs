using System.Text.Json;
using System.Text.Json.Nodes;

namespace Messaging.Testing;

/// <summary>
/// Provider events in their documented shapes (SES event publishing and notifications, End User Messaging SMS events
/// and inbound messages, and the SNS envelope around them), with the fields a test cares about filled in.
/// </summary>
public static class FeedbackSamples
{
    /// <summary>The SES <c>mail</c> object: our messageId tag (when given) and the provider's message id.</summary>
    public static JsonObject Mail(string to, string providerId, string? messageId, string configurationSet = "transactional", DateTimeOffset? sentAt = null)
    {
        var tags = new JsonObject
        {
            ["ses:configuration-set"] = new JsonArray(configurationSet),
            ["ses:source-ip"] = new JsonArray("192.0.2.0"),
            ["ses:from-domain"] = new JsonArray("example.com"),
            ["ses:caller-identity"] = new JsonArray("engine"),
        };
        if (messageId is not null)
        {
            tags["messageId"] = new JsonArray(messageId);
        }

        return new JsonObject
        {
            ["timestamp"] = Iso(sentAt ?? DateTimeOffset.Parse("2026-11-22T10:00:00Z")),
            ["source"] = "Example Shop <shop@example.com>",
            ["sourceArn"] = "arn:aws:ses:us-east-1:123456789012:identity/example.com",
            ["sendingAccountId"] = "123456789012",
            ["messageId"] = providerId,
            ["destination"] = new JsonArray(to),
            ["headersTruncated"] = false,
            ["headers"] = new JsonArray(
                new JsonObject { ["name"] = "From", ["value"] = "Example Shop <shop@example.com>" },
                new JsonObject { ["name"] = "To", ["value"] = to },
                new JsonObject { ["name"] = "Subject", ["value"] = "Your order" }),
            ["commonHeaders"] = new JsonObject
            {
                ["from"] = new JsonArray("Example Shop <shop@example.com>"),
                ["to"] = new JsonArray(to),
                ["messageId"] = providerId,
                ["subject"] = "Your order",
            },
            ["tags"] = tags,
        };
    }

    /// <summary>An event-publishing record: <c>eventType</c>, <c>mail</c> and the type's own object.</summary>
    public static string SesEvent(string eventType, JsonObject mail, string section, JsonObject detail) =>
        new JsonObject { ["eventType"] = eventType, ["mail"] = mail.DeepClone(), [section] = detail.DeepClone() }.ToJsonString();

    /// <summary>An identity notification (the older format): <c>notificationType</c> instead of <c>eventType</c>.</summary>
    public static string SesNotification(string notificationType, JsonObject mail, string section, JsonObject detail) =>
        new JsonObject { ["notificationType"] = notificationType, [section] = detail.DeepClone(), ["mail"] = mail.DeepClone() }.ToJsonString();

    public static JsonObject Bounce(string bounceType, string subType, DateTimeOffset at, params string[] recipients) => new()
    {
        ["feedbackId"] = $"0100018c-{Guid.NewGuid():N}-000000",
        ["bounceType"] = bounceType,
        ["bounceSubType"] = subType,
        ["bouncedRecipients"] = new JsonArray(recipients.Select(r => (JsonNode)new JsonObject
        {
            ["emailAddress"] = r,
            ["action"] = "failed",
            ["status"] = bounceType == "Permanent" ? "5.1.1" : "4.2.2",
            ["diagnosticCode"] = bounceType == "Permanent" ? "smtp; 550 5.1.1 user unknown" : "smtp; 452 4.2.2 mailbox full",
        }).ToArray()),
        ["timestamp"] = Iso(at),
        ["reportingMTA"] = "dsn; a8-23.smtp-out.amazonses.com",
    };

    public static JsonObject Complaint(DateTimeOffset at, string recipient, string? feedbackType = "abuse") => new()
    {
        ["feedbackId"] = $"0100018c-{Guid.NewGuid():N}-000000",
        ["complaintSubType"] = null,
        ["complainedRecipients"] = new JsonArray(new JsonObject { ["emailAddress"] = recipient }),
        ["timestamp"] = Iso(at),
        ["userAgent"] = "Mozilla/5.0",
        ["complaintFeedbackType"] = feedbackType,
        ["arrivalDate"] = Iso(at),
    };

    public static JsonObject Delivery(DateTimeOffset at, string recipient) => new()
    {
        ["timestamp"] = Iso(at),
        ["processingTimeMillis"] = 546,
        ["recipients"] = new JsonArray(recipient),
        ["smtpResponse"] = "250 ok:  Message 64111812 accepted",
        ["reportingMTA"] = "a8-70.smtp-out.amazonses.com",
        ["remoteMtaIp"] = "127.0.2.0",
    };

    public static JsonObject Open(DateTimeOffset at) => new() { ["ipAddress"] = "192.0.2.1", ["timestamp"] = Iso(at), ["userAgent"] = "Mozilla/5.0" };

    public static JsonObject Click(DateTimeOffset at, string link) => new()
    {
        ["ipAddress"] = "192.0.2.1", ["timestamp"] = Iso(at), ["userAgent"] = "Mozilla/5.0", ["link"] = link,
        ["linkTags"] = new JsonObject { ["campaign"] = new JsonArray("fall") },
    };

    public static JsonObject DeliveryDelay(DateTimeOffset at, string recipient) => new()
    {
        ["timestamp"] = Iso(at),
        ["delayType"] = "MailboxFull",
        ["expirationTime"] = Iso(at.AddHours(12)),
        ["delayedRecipients"] = new JsonArray(new JsonObject
        {
            ["emailAddress"] = recipient, ["status"] = "4.2.2", ["diagnosticCode"] = "smtp; 452 4.2.2 mailbox full",
        }),
    };

    /// <summary>An End User Messaging SMS event record.</summary>
    public static string SmsEvent(string eventType, string to, string providerId, string? messageId, DateTimeOffset at)
    {
        var record = new JsonObject
        {
            ["eventType"] = eventType,
            ["eventVersion"] = "1.0",
            ["eventTimestamp"] = at.ToUnixTimeMilliseconds(),
            ["isFinal"] = eventType is not ("TEXT_PENDING" or "TEXT_QUEUED" or "TEXT_SENT"),
            ["originationPhoneNumber"] = "+18005550100",
            ["destinationPhoneNumber"] = to,
            ["isInternationalSend"] = false,
            ["isoCountryCode"] = "US",
            ["messageId"] = providerId,
            ["messageRequestTimestamp"] = at.AddSeconds(-2).ToUnixTimeMilliseconds(),
            ["messageEncoding"] = "GSM",
            ["messageType"] = "TRANSACTIONAL",
            ["messageStatus"] = eventType["TEXT_".Length..],
            ["messageStatusDescription"] = "Message has been accepted by phone",
            ["totalMessageParts"] = 1,
            ["totalMessagePrice"] = 0.00581,
            ["totalCarrierFee"] = 0.0,
        };
        if (messageId is not null)
        {
            record["context"] = new JsonObject { ["messageId"] = messageId };
        }

        return record.ToJsonString();
    }

    /// <summary>An inbound SMS (two-way messaging), e.g. a STOP reply.</summary>
    public static string SmsInbound(string from, string body) => new JsonObject
    {
        ["originationNumber"] = from,
        ["destinationNumber"] = "+18005550100",
        ["messageKeyword"] = "KEYWORD_123456789012",
        ["messageBody"] = body,
        ["inboundMessageId"] = Guid.NewGuid().ToString(),
        ["previousPublishedMessageId"] = Guid.NewGuid().ToString(),
    }.ToJsonString();

    /// <summary>The SNS envelope an SQS subscription receives when raw message delivery is off.</summary>
    public static string Sns(string message, string? snsMessageId = null) => new JsonObject
    {
        ["Type"] = "Notification",
        ["MessageId"] = snsMessageId ?? Guid.NewGuid().ToString(),
        ["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:ses-events",
        ["Subject"] = "Amazon SES Email Event Notification",
        ["Message"] = message,
        ["Timestamp"] = Iso(DateTimeOffset.Parse("2026-11-22T10:05:00Z")),
        ["SignatureVersion"] = "1",
        ["Signature"] = "EXAMPLEpH+..",
        ["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
        ["UnsubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:ses-events:0000",
    }.ToJsonString();

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
