using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Tests.Feedback;

/// <summary>What provider feedback does to a recipient: pure decisions over state, no storage.</summary>
public sealed class RecipientFeedbackRulesTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-22T10:00:00Z");
    private const int Limit = 3;

    private static RecipientState SentMessage(string id = "m1", RecipientState? state = null) => (state ?? RecipientState.Empty).ApplyAll(
    [
        new RequestAccepted(id, Category.Transactional, T0),
        new SendIntended(id, T0),
        new Sent(id, $"ses-{id}", T0.AddSeconds(1)),
    ]);

    private static ProviderFeedback Feedback(FeedbackKind kind, string id = "m1", string? feedbackId = null, BounceKind? bounce = null, DateTimeOffset? at = null, string? detail = null) =>
        new(kind, Channel.Email, "ana@example.com", id, $"ses-{id}", at ?? T0.AddMinutes(1), feedbackId ?? Guid.NewGuid().ToString("N"), "transactional", bounce, detail);

    private static (RecipientState State, IReadOnlyList<IRecipientEvent> Events) Decide(RecipientState state, ProviderFeedback feedback, MessageRecord? recalled = null)
    {
        var events = RecipientDecisions.Feedback(state, feedback, recalled, Limit, T0.AddHours(5));
        return (state.ApplyAll(events), events);
    }

    [Fact]
    public void A_permanent_bounce_marks_the_message_bounced_and_suppresses_with_the_source_message_and_reason()
    {
        var (state, events) = Decide(SentMessage(), Feedback(FeedbackKind.Bounced, bounce: BounceKind.Permanent, detail: "550 user unknown"));

        Assert.Equal([typeof(Bounced), typeof(Suppressed)], events.Select(e => e.GetType()));
        Assert.Equal(MessageStatus.Bounced, state.Find("m1")!.Status);
        Assert.Equal(new Suppression(SuppressionReason.PermanentBounce, T0.AddMinutes(1), "m1", null, "550 user unknown"), state.Suppression);
    }

    [Fact]
    public void A_complaint_suppresses_and_a_second_complaint_does_not_suppress_again()
    {
        var (state, first) = Decide(SentMessage(), Feedback(FeedbackKind.Complained, detail: "abuse"));
        var (_, second) = Decide(SentMessage("m2", state), Feedback(FeedbackKind.Complained, "m2", detail: "abuse"));

        Assert.Equal(SuppressionReason.Complaint, state.Suppression!.Reason);
        Assert.Equal([typeof(Complained), typeof(Suppressed)], first.Select(e => e.GetType()));
        Assert.Equal([typeof(Complained)], second.Select(e => e.GetType()));
    }

    [Fact]
    public void Three_transient_bounces_in_a_row_suppress_and_a_delivery_in_between_resets_the_streak()
    {
        var state = SentMessage("m1");
        state = Decide(state, Feedback(FeedbackKind.Bounced, "m1", bounce: BounceKind.Transient)).State;
        state = Decide(SentMessage("m2", state), Feedback(FeedbackKind.Bounced, "m2", bounce: BounceKind.Transient)).State;
        state = Decide(SentMessage("m3", state), Feedback(FeedbackKind.Delivered, "m3")).State;
        Assert.Equal(0, state.ConsecutiveTransientBounces);

        state = Decide(SentMessage("m4", state), Feedback(FeedbackKind.Bounced, "m4", bounce: BounceKind.Transient)).State;
        state = Decide(SentMessage("m5", state), Feedback(FeedbackKind.Bounced, "m5", bounce: BounceKind.Transient)).State;
        Assert.False(state.IsSuppressed);
        var (after, events) = Decide(SentMessage("m6", state), Feedback(FeedbackKind.Bounced, "m6", bounce: BounceKind.Transient, detail: "452 mailbox full"));

        Assert.Equal(SuppressionReason.RepeatedTransientBounces, after.Suppression!.Reason);
        Assert.Equal("3 transient bounces in a row; the last: 452 mailbox full", after.Suppression.Note);
        Assert.Equal(MessageStatus.SoftBounced, after.Find("m6")!.Status);
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public void A_duplicate_event_changes_nothing_not_even_the_bounce_streak()
    {
        var bounce = Feedback(FeedbackKind.Bounced, bounce: BounceKind.Transient, feedbackId: "fb-1");
        var (once, _) = Decide(SentMessage(), bounce);

        var (twice, events) = Decide(once, bounce);

        Assert.Empty(events);
        Assert.Equal(1, twice.ConsecutiveTransientBounces);
        // Even if a duplicate were journaled (two nodes racing), applying it changes nothing.
        Assert.Equal(1, once.Apply(new Bounced("m1", BounceKind.Transient, T0, null, "fb-1")).ConsecutiveTransientBounces);
    }

    [Fact]
    public void Feedback_before_the_sent_record_is_kept_and_the_late_sent_record_does_not_move_the_status_back()
    {
        var pending = RecipientState.Empty.ApplyAll([new RequestAccepted("m1", Category.Transactional, T0), new SendIntended("m1", T0)]);

        var (delivered, _) = Decide(pending, Feedback(FeedbackKind.Delivered));
        var afterSent = delivered.Apply(new Sent("m1", "ses-m1", T0.AddSeconds(2)));

        Assert.Equal(MessageStatus.Delivered, afterSent.Find("m1")!.Status);
        Assert.Equal("ses-m1", afterSent.Find("m1")!.ProviderMessageId);
        Assert.False(afterSent.Find("m1")!.SendPending);
    }

    [Fact]
    public void Statuses_only_move_forward_whatever_order_the_events_arrive_in()
    {
        var state = SentMessage();
        state = Decide(state, Feedback(FeedbackKind.Complained)).State;
        state = Decide(state, Feedback(FeedbackKind.Delivered)).State;
        state = Decide(state, Feedback(FeedbackKind.Opened)).State;
        state = Decide(state, Feedback(FeedbackKind.Clicked, detail: "https://x.test")).State;

        var entry = state.Find("m1")!;
        Assert.Equal((MessageStatus.Complained, 1, 1), (entry.Status, entry.Opens, entry.Clicks));
    }

    [Fact]
    public void The_providers_send_event_settles_a_send_whose_answer_was_lost()
    {
        var unknown = RecipientState.Empty.ApplyAll(
        [
            new RequestAccepted("m1", Category.Transactional, T0), new SendIntended("m1", T0), new SendUnconfirmed("m1", "engine stopped", T0.AddMinutes(1)),
        ]);

        var (settled, events) = Decide(unknown, Feedback(FeedbackKind.Sent));
        var (_, again) = Decide(settled, Feedback(FeedbackKind.Sent));

        Assert.Equal((MessageStatus.Sent, "ses-m1"), (settled.Find("m1")!.Status, settled.Find("m1")!.ProviderMessageId));
        Assert.Single(events);
        Assert.Empty(again);
    }

    [Fact]
    public void A_complaint_about_a_message_the_recipient_no_longer_remembers_recalls_it_from_the_messages_table_first()
    {
        var state = RecipientState.Empty;
        for (var i = 0; i < RecipientState.RecentLimit; i++)
        {
            state = SentMessage($"newer-{i}", state);
        }

        var row = new MessageRecord("old", "email:ana@example.com", "email", "marketing", "delivered", null, "ses-old", T0.AddHours(-6), T0.AddHours(-5));
        var (after, events) = Decide(state, Feedback(FeedbackKind.Complained, "old"), row);

        Assert.Equal([typeof(MessageRecalled), typeof(Complained), typeof(Suppressed)], events.Select(e => e.GetType()));
        var entry = after.Find("old")!;
        Assert.Equal((Category.Marketing, MessageStatus.Complained, T0.AddHours(-6), "ses-old"), (entry.Category, entry.Status, entry.AcceptedAt, entry.ProviderMessageId));
    }

    [Fact]
    public void An_sms_opt_out_suppresses_the_number_once()
    {
        var optOut = new ProviderFeedback(FeedbackKind.OptedOut, Channel.Sms, "+15551230001", null, null, T0, "in-1", Detail: "replied 'STOP'");

        var events = RecipientDecisions.Feedback(RecipientState.Empty, optOut, null, Limit, T0);
        var again = RecipientDecisions.Feedback(RecipientState.Empty.ApplyAll(events), optOut, null, Limit, T0);

        Assert.Equal(new Suppressed(SuppressionReason.OptedOut, T0, null, Note: "replied 'STOP'"), Assert.Single(events));
        Assert.Empty(again);
    }

    [Fact]
    public void Delays_and_failures_are_recorded_with_the_providers_words()
    {
        var (delayed, _) = Decide(SentMessage(), Feedback(FeedbackKind.Delayed, detail: "MailboxFull"));
        var (failed, _) = Decide(SentMessage(), Feedback(FeedbackKind.Failed, detail: "SES rejected the message: Bad content"));

        Assert.Equal((MessageStatus.Sent, "delayed: MailboxFull"), (delayed.Find("m1")!.Status, delayed.Find("m1")!.Reason));
        Assert.Equal((MessageStatus.Failed, "SES rejected the message: Bad content"), (failed.Find("m1")!.Status, failed.Find("m1")!.Reason));
    }
}
