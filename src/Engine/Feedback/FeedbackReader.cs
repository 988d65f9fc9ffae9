using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Feedback;

/// <summary>What one feedback-queue message holds: the events in it, or why it cannot be read.</summary>
/// <param name="Ignored">A readable event that carries nothing to record (SES <c>Subscription</c>, SMS <c>TEXT_QUEUED</c>…), named.</param>
public sealed record FeedbackRead(IReadOnlyList<ProviderFeedback> Events, string? Problem = null, string? Ignored = null)
{
    public static FeedbackRead Unreadable(string problem) => new([], problem);
}

/// <summary>
/// Reads a feedback-queue body: an SNS notification (the event is the JSON string in <c>Message</c>) or, with raw
/// message delivery, the event itself. Events: SES event publishing (<c>eventType</c>), SES identity notifications
/// (<c>notificationType</c>), End User Messaging SMS events (<c>TEXT_*</c>) and SMS inbound messages (an opt-out
/// keyword suppresses the sender). One event with several recipients (a bounce) gives one feedback per recipient.
/// </summary>
public static class FeedbackReader
{
    /// <summary>Replies that opt a number out (US/CA keywords, which AWS also applies).</summary>
    private static readonly HashSet<string> OptOutKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "ARRET", "CANCEL", "END", "OPT-OUT", "OPTOUT", "QUIT", "REMOVE", "STOP", "STOPALL", "TD", "UNSUBSCRIBE",
    };

    /// <param name="receivedAt">The time of events that carry none (an SMS reply).</param>
    public static FeedbackRead Read(string body, DateTimeOffset receivedAt)
    {
        JsonDocument outer;
        try
        {
            outer = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return FeedbackRead.Unreadable($"not JSON: {e.Message}");
        }

        using (outer)
        {
            if (outer.RootElement.ValueKind != JsonValueKind.Object)
            {
                return FeedbackRead.Unreadable("not a JSON object");
            }

            if (Text(outer.RootElement, "Type") is { } type)
            {
                if (type != "Notification")
                {
                    return FeedbackRead.Unreadable($"an SNS '{type}' message, not a Notification (confirm the subscription outside the engine)");
                }

                if (Text(outer.RootElement, "Message") is not { } message)
                {
                    return FeedbackRead.Unreadable("an SNS notification without a Message string");
                }

                try
                {
                    using var inner = JsonDocument.Parse(message);
                    return ReadEvent(inner.RootElement, message, receivedAt);
                }
                catch (JsonException e)
                {
                    return FeedbackRead.Unreadable($"the SNS Message is not JSON: {e.Message}");
                }
            }

            return ReadEvent(outer.RootElement, body, receivedAt);
        }
    }

    private static FeedbackRead ReadEvent(JsonElement e, string text, DateTimeOffset receivedAt)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return FeedbackRead.Unreadable("the event is not a JSON object");
        }

        // The same bytes for every copy of one provider event: SNS keeps Message as it was; raw delivery is the event.
        var eventId = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
        try
        {
            if (Text(e, "eventType") is { } smsType && smsType.StartsWith("TEXT_", StringComparison.Ordinal))
            {
                return ReadSms(e, smsType, eventId);
            }

            if ((Text(e, "eventType") ?? Text(e, "notificationType")) is { } sesType)
            {
                return ReadSes(e, sesType, eventId);
            }

            if (Text(e, "originationNumber") is { } from && Text(e, "messageBody") is { } reply)
            {
                return ReadInbound(from, reply, e, eventId, receivedAt);
            }
        }
        catch (FeedbackFormatException problem)
        {
            return FeedbackRead.Unreadable(problem.Message);
        }

        return FeedbackRead.Unreadable("not an SES or SMS event: it has no eventType, notificationType or originationNumber");
    }

    private static FeedbackRead ReadSes(JsonElement e, string type, string eventId)
    {
        var mail = Required(e, "mail", JsonValueKind.Object);
        var providerId = Text(mail, "messageId");
        var tags = mail.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Object ? t : default;
        var messageId = FirstTag(tags, "messageId") ?? Header(mail, "X-Correlation-ID");
        var configurationSet = FirstTag(tags, "ses:configuration-set");
        var destination = mail.TryGetProperty("destination", out var d) && d.ValueKind == JsonValueKind.Array && d.GetArrayLength() > 0
            ? d[0].GetString()
            : null;

        ProviderFeedback One(FeedbackKind kind, string? recipient, DateTimeOffset at, BounceKind? bounce = null, string? detail = null) =>
            new(kind, Channel.Email, recipient ?? throw new FeedbackFormatException($"the SES {type} event names no recipient (mail.destination is empty)"),
                messageId, providerId, at, $"{eventId}:{recipient.ToLowerInvariant()}", configurationSet, bounce, detail);

        IEnumerable<ProviderFeedback> PerRecipient(JsonElement section, string list, FeedbackKind kind, Func<JsonElement, BounceKind?> bounce, Func<JsonElement, string?> detail)
        {
            var at = Time(section, "timestamp") ?? Time(mail, "timestamp")!.Value;
            var recipients = Required(section, list, JsonValueKind.Array);
            return recipients.EnumerateArray().Select(r => One(kind,
                r.ValueKind == JsonValueKind.String ? r.GetString() : Text(r, "emailAddress"),
                at, bounce(r), detail(r))).ToList();
        }

        switch (type)
        {
            case "Bounce":
                var bounce = Required(e, "bounce", JsonValueKind.Object);
                var bounceType = Text(bounce, "bounceType");
                var subType = Text(bounce, "bounceSubType");
                // Undetermined: SES could not tell; not enough to stop mailing an address for good.
                var kind = bounceType == "Permanent" ? BounceKind.Permanent : BounceKind.Transient;
                return new FeedbackRead(PerRecipient(bounce, "bouncedRecipients", FeedbackKind.Bounced, _ => kind,
                    r => Text(r, "diagnosticCode") ?? $"{bounceType}/{subType}").ToList());
            case "Complaint":
                var complaint = Required(e, "complaint", JsonValueKind.Object);
                var feedbackType = Text(complaint, "complaintFeedbackType") ?? Text(complaint, "complaintSubType") ?? "complaint";
                return new FeedbackRead(PerRecipient(complaint, "complainedRecipients", FeedbackKind.Complained, _ => null, _ => feedbackType).ToList());
            case "Delivery":
                return new FeedbackRead(PerRecipient(Required(e, "delivery", JsonValueKind.Object), "recipients", FeedbackKind.Delivered, _ => null, _ => null).ToList());
            case "DeliveryDelay":
                var delay = Required(e, "deliveryDelay", JsonValueKind.Object);
                var delayType = Text(delay, "delayType") ?? "Undetermined";
                return new FeedbackRead(PerRecipient(delay, "delayedRecipients", FeedbackKind.Delayed, _ => null, _ => delayType).ToList());
            case "Send":
                return new FeedbackRead([One(FeedbackKind.Sent, destination, Time(mail, "timestamp") ?? Missing("mail.timestamp"))]);
            case "Reject":
                var reject = Required(e, "reject", JsonValueKind.Object);
                return new FeedbackRead([One(FeedbackKind.Failed, destination, Time(mail, "timestamp") ?? Missing("mail.timestamp"),
                    detail: $"SES rejected the message: {Text(reject, "reason") ?? "no reason given"}")]);
            case "Rendering Failure":
                var failure = Required(e, "failure", JsonValueKind.Object);
                return new FeedbackRead([One(FeedbackKind.Failed, destination, Time(mail, "timestamp") ?? Missing("mail.timestamp"),
                    detail: $"SES could not render the message: {Text(failure, "errorMessage") ?? "no reason given"}")]);
            case "Open":
                var open = Required(e, "open", JsonValueKind.Object);
                return new FeedbackRead([One(FeedbackKind.Opened, destination, Time(open, "timestamp") ?? Missing("open.timestamp"))]);
            case "Click":
                var click = Required(e, "click", JsonValueKind.Object);
                return new FeedbackRead([One(FeedbackKind.Clicked, destination, Time(click, "timestamp") ?? Missing("click.timestamp"),
                    detail: Text(click, "link"))]);
            case "Subscription":
                return new FeedbackRead([], Ignored: "an SES Subscription event (contact-list preferences are not managed by this engine)");
            default:
                return FeedbackRead.Unreadable($"an SES event of unknown type '{type}'");
        }
    }

    private static FeedbackRead ReadSms(JsonElement e, string type, string eventId)
    {
        var destination = Text(e, "destinationPhoneNumber") ?? throw new FeedbackFormatException($"the SMS {type} event has no destinationPhoneNumber");
        var context = e.TryGetProperty("context", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var messageId = context.ValueKind == JsonValueKind.Object ? Text(context, "messageId") : null;
        var providerId = Text(e, "messageId");
        var at = e.TryGetProperty("eventTimestamp", out var ts) && ts.TryGetInt64(out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : throw new FeedbackFormatException($"the SMS {type} event has no eventTimestamp (epoch milliseconds)");
        var description = Text(e, "messageStatusDescription");
        var configurationSet = Text(e, "configurationSetName");

        FeedbackRead One(FeedbackKind kind, BounceKind? bounce = null) => new(
            [new ProviderFeedback(kind, Channel.Sms, destination, messageId, providerId, at, eventId, configurationSet, bounce,
                description is null ? type : $"{type}: {description}")]);

        return type switch
        {
            "TEXT_SENT" => One(FeedbackKind.Sent),
            "TEXT_SUCCESSFUL" or "TEXT_DELIVERED" => One(FeedbackKind.Delivered),
            "TEXT_INVALID" => One(FeedbackKind.Bounced, BounceKind.Permanent),
            "TEXT_UNREACHABLE" or "TEXT_CARRIER_UNREACHABLE" or "TEXT_TTL_EXPIRED" or "TEXT_UNKNOWN" => One(FeedbackKind.Bounced, BounceKind.Transient),
            "TEXT_BLOCKED" or "TEXT_CARRIER_BLOCKED" or "TEXT_SPAM" or "TEXT_PROTECT_BLOCKED" or "TEXT_INVALID_MESSAGE" => One(FeedbackKind.Failed),
            "TEXT_PENDING" or "TEXT_QUEUED" => new FeedbackRead([], Ignored: $"an SMS {type} event (not final)"),
            _ => FeedbackRead.Unreadable($"an SMS event of unknown type '{type}'"),
        };
    }

    private static FeedbackRead ReadInbound(string from, string reply, JsonElement e, string eventId, DateTimeOffset receivedAt)
    {
        var keyword = reply.Trim().Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (!OptOutKeywords.Contains(keyword))
        {
            return new FeedbackRead([], Ignored: $"an SMS reply that is not an opt-out ('{keyword}')");
        }

        return new FeedbackRead([new ProviderFeedback(FeedbackKind.OptedOut, Channel.Sms, from, null,
            Text(e, "previousPublishedMessageId"), receivedAt, eventId, Detail: $"replied '{keyword.ToUpperInvariant()}'")]);
    }

    private static JsonElement Required(JsonElement e, string name, JsonValueKind kind) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == kind
            ? value
            : throw new FeedbackFormatException($"'{name}' is missing or not {(kind == JsonValueKind.Array ? "an array" : "an object")}");

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        Text(e, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private static DateTimeOffset Missing(string what) => throw new FeedbackFormatException($"'{what}' is missing or not an ISO 8601 time");

    private static string? FirstTag(JsonElement tags, string name) =>
        tags.ValueKind == JsonValueKind.Object && tags.TryGetProperty(name, out var values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0
            ? values[0].GetString()
            : null;

    private static string? Header(JsonElement mail, string name) =>
        mail.TryGetProperty("headers", out var headers) && headers.ValueKind == JsonValueKind.Array
            ? headers.EnumerateArray().Where(h => string.Equals(Text(h, "name"), name, StringComparison.OrdinalIgnoreCase)).Select(h => Text(h, "value")).FirstOrDefault()
            : null;

    private sealed class FeedbackFormatException(string message) : Exception(message);
}
