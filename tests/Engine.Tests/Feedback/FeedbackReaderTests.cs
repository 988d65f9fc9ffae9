using Messaging.Contracts.Requests;
using Messaging.Engine.Feedback;
using Messaging.Engine.Recipients.Events;
using Messaging.Testing;
using static Messaging.Testing.FeedbackSamples;

namespace Messaging.Engine.Tests.Feedback;

/// <summary>Reading feedback-queue bodies built in the documented SES, SMS and SNS shapes.</summary>
public sealed class FeedbackReaderTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.Parse("2026-11-22T10:01:00Z");
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-22T10:30:00Z");
    private const string To = "ana@example.com";

    private static ProviderFeedback Single(string body)
    {
        var read = FeedbackReader.Read(body, Now);
        Assert.Null(read.Problem);
        return Assert.Single(read.Events);
    }

    [Fact]
    public void A_permanent_bounce_names_our_message_the_provider_message_the_configuration_set_and_the_diagnostic()
    {
        var feedback = Single(SesEvent("Bounce", Mail(To, "ses-1", "m-1", "marketing"), "bounce", Bounce("Permanent", "General", At, To)));

        Assert.Equal(
            (FeedbackKind.Bounced, Channel.Email, To, "m-1", "ses-1", At, "marketing", (BounceKind?)BounceKind.Permanent, "smtp; 550 5.1.1 user unknown"),
            (feedback.Kind, feedback.Channel, feedback.Recipient, feedback.MessageId, feedback.ProviderMessageId, feedback.At,
                feedback.ConfigurationSet, feedback.Bounce, feedback.Detail));
    }

    [Theory]
    [InlineData("Permanent", "NoEmail", BounceKind.Permanent)]
    [InlineData("Permanent", "OnAccountSuppressionList", BounceKind.Permanent)]
    [InlineData("Transient", "MailboxFull", BounceKind.Transient)]
    [InlineData("Transient", "ContentRejected", BounceKind.Transient)]
    [InlineData("Undetermined", "Undetermined", BounceKind.Transient)]
    public void Every_bounce_type_maps_to_permanent_or_transient(string type, string subType, BounceKind expected)
    {
        Assert.Equal(expected, Single(SesEvent("Bounce", Mail(To, "ses-1", "m-1"), "bounce", Bounce(type, subType, At, To))).Bounce);
    }

    [Fact]
    public void A_bounce_with_two_recipients_gives_one_feedback_each_with_distinct_ids()
    {
        var read = FeedbackReader.Read(SesEvent("Bounce", Mail(To, "ses-1", "m-1"), "bounce", Bounce("Permanent", "General", At, To, "bo@example.com")), Now);

        Assert.Equal([To, "bo@example.com"], read.Events.Select(e => e.Recipient));
        Assert.Equal(2, read.Events.Select(e => e.FeedbackId).Distinct().Count());
    }

    [Fact]
    public void The_same_event_wrapped_by_sns_twice_or_delivered_raw_has_one_feedback_id()
    {
        var raw = SesEvent("Delivery", Mail(To, "ses-1", "m-1"), "delivery", Delivery(At, To));

        var ids = new[] { raw, Sns(raw), Sns(raw) }.Select(body => Single(body).FeedbackId).Distinct();

        Assert.Single(ids);
        Assert.NotEqual(Single(raw).FeedbackId, Single(SesEvent("Delivery", Mail(To, "ses-1", "m-1"), "delivery", Delivery(At.AddSeconds(1), To))).FeedbackId);
    }

    [Fact]
    public void Each_ses_event_type_reads_as_its_kind()
    {
        var mail = Mail(To, "ses-1", "m-1");
        var cases = new (string Body, FeedbackKind Kind, string? Detail)[]
        {
            (SesEvent("Send", mail, "send", new()), FeedbackKind.Sent, null),
            (SesEvent("Delivery", mail, "delivery", Delivery(At, To)), FeedbackKind.Delivered, null),
            (SesEvent("Complaint", mail, "complaint", Complaint(At, To)), FeedbackKind.Complained, "abuse"),
            (SesEvent("Open", mail, "open", Open(At)), FeedbackKind.Opened, null),
            (SesEvent("Click", mail, "click", Click(At, "https://shop.example.com/p/1")), FeedbackKind.Clicked, "https://shop.example.com/p/1"),
            (SesEvent("DeliveryDelay", mail, "deliveryDelay", DeliveryDelay(At, To)), FeedbackKind.Delayed, "MailboxFull"),
            (SesEvent("Reject", mail, "reject", new() { ["reason"] = "Bad content" }), FeedbackKind.Failed, "SES rejected the message: Bad content"),
            (SesEvent("Rendering Failure", mail, "failure", new() { ["templateName"] = "t", ["errorMessage"] = "Attribute 'name' is not present" }),
                FeedbackKind.Failed, "SES could not render the message: Attribute 'name' is not present"),
        };

        foreach (var (body, kind, detail) in cases)
        {
            var feedback = Single(body);
            Assert.True((kind, detail, To, "m-1") == (feedback.Kind, feedback.Detail, feedback.Recipient, feedback.MessageId), $"{kind}: got {feedback}");
        }
    }

    [Fact]
    public void The_older_notification_format_reads_like_event_publishing_and_falls_back_to_the_correlation_header()
    {
        var mail = Mail(To, "ses-2", messageId: null);
        mail["headers"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject { ["name"] = "X-Correlation-ID", ["value"] = "m-2" });

        var bounce = Single(SesNotification("Bounce", mail.DeepClone().AsObject(), "bounce", Bounce("Permanent", "General", At, To)));
        var complaint = Single(Sns(SesNotification("Complaint", mail.DeepClone().AsObject(), "complaint", Complaint(At, To, feedbackType: null))));
        var delivery = Single(SesNotification("Delivery", mail.DeepClone().AsObject(), "delivery", Delivery(At, To)));

        Assert.Equal((FeedbackKind.Bounced, "m-2", "ses-2"), (bounce.Kind, bounce.MessageId, bounce.ProviderMessageId));
        Assert.Equal((FeedbackKind.Complained, "m-2", "complaint"), (complaint.Kind, complaint.MessageId, complaint.Detail));
        Assert.Equal(FeedbackKind.Delivered, delivery.Kind);
    }

    [Fact]
    public void Without_a_tag_or_header_the_provider_message_id_is_what_is_left_to_correlate_by()
    {
        var feedback = Single(SesNotification("Delivery", Mail(To, "ses-3", messageId: null), "delivery", Delivery(At, To)));

        Assert.Equal((null, "ses-3"), (feedback.MessageId, feedback.ProviderMessageId));
    }

    [Theory]
    [InlineData("TEXT_DELIVERED", FeedbackKind.Delivered, null)]
    [InlineData("TEXT_SUCCESSFUL", FeedbackKind.Delivered, null)]
    [InlineData("TEXT_SENT", FeedbackKind.Sent, null)]
    [InlineData("TEXT_INVALID", FeedbackKind.Bounced, BounceKind.Permanent)]
    [InlineData("TEXT_CARRIER_UNREACHABLE", FeedbackKind.Bounced, BounceKind.Transient)]
    [InlineData("TEXT_TTL_EXPIRED", FeedbackKind.Bounced, BounceKind.Transient)]
    [InlineData("TEXT_CARRIER_BLOCKED", FeedbackKind.Failed, null)]
    [InlineData("TEXT_SPAM", FeedbackKind.Failed, null)]
    public void Sms_events_read_with_the_context_message_id_and_the_event_time(string type, FeedbackKind kind, BounceKind? bounce)
    {
        var feedback = Single(Sns(SmsEvent(type, "+15551230001", "sms-provider-1", "sms-1", At)));

        Assert.Equal((kind, bounce, Channel.Sms, "+15551230001", "sms-1", "sms-provider-1", At),
            (feedback.Kind, feedback.Bounce, feedback.Channel, feedback.Recipient, feedback.MessageId, feedback.ProviderMessageId, feedback.At));
        Assert.StartsWith(type, feedback.Detail);
    }

    [Theory]
    [InlineData("STOP")]
    [InlineData("  stop please")]
    [InlineData("Unsubscribe")]
    public void An_sms_reply_with_an_opt_out_keyword_opts_the_number_out(string reply)
    {
        var feedback = Single(Sns(SmsInbound("+15551230001", reply)));

        Assert.Equal((FeedbackKind.OptedOut, Channel.Sms, "+15551230001", Now), (feedback.Kind, feedback.Channel, feedback.Recipient, feedback.At));
    }

    [Theory]
    [InlineData("thanks!", "an SMS reply that is not an opt-out ('thanks!')")]
    [InlineData(null, "an SMS TEXT_QUEUED event (not final)")]
    public void Events_with_nothing_to_record_are_named_as_ignored(string? reply, string expected)
    {
        var read = FeedbackReader.Read(reply is null ? SmsEvent("TEXT_QUEUED", "+15551230001", "p", "m", At) : SmsInbound("+15551230001", reply), Now);

        Assert.Equal((0, null, expected), (read.Events.Count, read.Problem, read.Ignored));
    }

    [Theory]
    [InlineData("{not json", "not JSON: ")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("""{"Type":"SubscriptionConfirmation","Message":"You have chosen to subscribe"}""", "an SNS 'SubscriptionConfirmation' message, not a Notification")]
    [InlineData("""{"Type":"Notification","Message":"<html>"}""", "the SNS Message is not JSON: ")]
    [InlineData("""{"hello":"world"}""", "not an SES or SMS event: it has no eventType, notificationType or originationNumber")]
    [InlineData("""{"eventType":"Teleport","mail":{}}""", "an SES event of unknown type 'Teleport'")]
    [InlineData("""{"eventType":"Bounce","mail":{"messageId":"x","destination":["a@b.c"]}}""", "'bounce' is missing or not an object")]
    [InlineData("""{"eventType":"Bounce","mail":{"messageId":"x"},"bounce":{"bounceType":"Permanent","timestamp":"2026-11-22T10:00:00Z"}}""", "'bouncedRecipients' is missing or not an array")]
    [InlineData("""{"eventType":"TEXT_DELIVERED","destinationPhoneNumber":"+15550100","messageId":"p"}""", "the SMS TEXT_DELIVERED event has no eventTimestamp (epoch milliseconds)")]
    public void Unreadable_bodies_say_why(string body, string reason)
    {
        var read = FeedbackReader.Read(body, Now);

        Assert.Empty(read.Events);
        Assert.StartsWith(reason, read.Problem);
    }
}
