using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Tests.Recipients;

public sealed class RecipientStateTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_message_moves_from_accepted_through_sent_to_delivered_keeping_its_provider_id()
    {
        var state = RecipientState.Empty.ApplyAll(
        [
            new RequestAccepted("m1", Category.Transactional, At),
            new SendIntended("m1", At.AddSeconds(1)),
            new Sent("m1", "0100-ses", At.AddSeconds(2)),
            new Delivered("m1", At.AddSeconds(3)),
        ]);

        var m1 = state.Find("m1");
        Assert.Equal(new MessageEntry("m1", Category.Transactional, MessageStatus.Delivered, At, At.AddSeconds(3), "0100-ses"), m1);
    }

    [Fact]
    public void A_content_rejection_leaves_the_message_id_reusable_and_does_not_count_toward_the_cap()
    {
        var rejected = RecipientState.Empty.ApplyAll(
        [
            new RequestAccepted("m1", Category.Marketing, At),
            new Rejected("m1", "template 'x' not found", At, Content: true),
        ]);
        var capped = RecipientState.Empty.ApplyAll(
        [
            new RequestAccepted("m2", Category.Marketing, At),
            new Rejected("m2", "frequency cap", At),
        ]);

        Assert.True(rejected.Find("m1")!.IsReusable);
        Assert.Equal(0, rejected.AcceptedOn(Category.Marketing, DateOnly.FromDateTime(At.UtcDateTime)));
        Assert.False(capped.Find("m2")!.IsReusable);
        var corrected = rejected.Apply(new RequestAccepted("m1", Category.Marketing, At.AddMinutes(1)));
        Assert.Equal(MessageStatus.Accepted, corrected.Find("m1")!.Status);
        Assert.Equal(1, corrected.AcceptedOn(Category.Marketing, DateOnly.FromDateTime(At.UtcDateTime)));
    }

    [Fact]
    public void A_request_for_later_is_scheduled()
    {
        var state = RecipientState.Empty.Apply(new RequestAccepted("m1", Category.Marketing, At, At.AddHours(2)));

        Assert.Equal(MessageStatus.Scheduled, state.Find("m1")!.Status);
    }

    [Fact]
    public void Transient_bounces_count_up_in_a_row_and_a_delivery_resets_the_streak()
    {
        var state = RecipientState.Empty.ApplyAll(
        [
            new Bounced("m1", BounceKind.Transient, At, "full"),
            new Bounced("m2", BounceKind.Transient, At, "full"),
        ]);
        Assert.Equal(2, state.ConsecutiveTransientBounces);

        state = state.Apply(new Delivered("m3", At));
        Assert.Equal(0, state.ConsecutiveTransientBounces);

        state = state.Apply(new Bounced("m4", BounceKind.Permanent, At, "unknown user"));
        Assert.Equal(0, state.ConsecutiveTransientBounces);
        Assert.Equal(MessageStatus.Bounced, state.Find("m4")!.Status);
    }

    [Fact]
    public void Suppression_records_reason_source_and_time_and_unsuppression_clears_it_and_the_streak()
    {
        var state = RecipientState.Empty.ApplyAll(
        [
            new Bounced("m1", BounceKind.Transient, At, "full"),
            new Suppressed(SuppressionReason.RepeatedTransientBounces, At, "m1", null, null),
        ]);
        Assert.True(state.IsSuppressed);
        Assert.Equal(new Suppression(SuppressionReason.RepeatedTransientBounces, At, "m1", null, null), state.Suppression);

        state = state.Apply(new Unsuppressed("ops@example.com", "mailbox fixed", At.AddDays(1)));

        Assert.False(state.IsSuppressed);
        Assert.Equal(0, state.ConsecutiveTransientBounces);
    }

    [Fact]
    public void Frequency_counters_count_accepted_messages_per_category_per_UTC_day()
    {
        var state = RecipientState.Empty.ApplyAll(
        [
            new RequestAccepted("m1", Category.Marketing, At),
            new RequestAccepted("m2", Category.Marketing, At.AddHours(1)),
            new RequestAccepted("m3", Category.Transactional, At.AddHours(1)),
        ]);
        var today = DateOnly.FromDateTime(At.UtcDateTime);
        Assert.Equal(2, state.AcceptedOn(Category.Marketing, today));
        Assert.Equal(1, state.AcceptedOn(Category.Transactional, today));

        state = state.Apply(new RequestAccepted("m4", Category.Marketing, At.AddDays(1)));

        Assert.Equal(1, state.AcceptedOn(Category.Marketing, today.AddDays(1)));
        Assert.Equal(0, state.AcceptedOn(Category.Marketing, today));
    }

    [Fact]
    public void Only_the_most_recent_messages_are_kept_newest_first()
    {
        var state = RecipientState.Empty.ApplyAll(Enumerable.Range(1, RecipientState.RecentLimit + 5)
            .Select(i => new RequestAccepted($"m{i}", Category.Transactional, At.AddMinutes(i))));

        Assert.Equal(RecipientState.RecentLimit, state.Recent.Count);
        Assert.Equal($"m{RecipientState.RecentLimit + 5}", state.Recent[0].MessageId);
        Assert.Null(state.Find("m5"));
        Assert.NotNull(state.Find("m6"));
    }

    [Fact]
    public void Feedback_for_a_message_the_state_does_not_remember_still_gets_an_entry()
    {
        var state = RecipientState.Empty.Apply(new Complained("m-unknown", At, "abuse"));

        Assert.Equal(MessageStatus.Complained, state.Find("m-unknown")!.Status);
    }

    [Fact]
    public void Opens_and_clicks_are_counted_without_moving_the_status_back()
    {
        var state = RecipientState.Empty.ApplyAll(
        [
            new RequestAccepted("m1", Category.Transactional, At),
            new Delivered("m1", At),
            new Opened("m1", At),
            new Opened("m1", At),
            new Clicked("m1", At, "https://x.test"),
        ]);

        Assert.Equal((MessageStatus.Delivered, 2, 1), (state.Find("m1")!.Status, state.Find("m1")!.Opens, state.Find("m1")!.Clicks));
    }
}
