using System.Globalization;
using Amazon.SQS.Model;
using Messaging.Engine.Feedback;
using Messaging.Testing;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Feedback;

/// <summary>How long an event waits for the Sent that ties it, and how often it is looked at meanwhile.</summary>
public sealed class CorrelationGraceTests
{
    private static readonly DateTimeOffset Arrived = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);

    private static Message Received(int receiveCount) => new()
    {
        MessageId = "m",
        Attributes = new Dictionary<string, string>
        {
            ["SentTimestamp"] = Arrived.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ["ApproximateReceiveCount"] = receiveCount.ToString(CultureInfo.InvariantCulture),
        },
    };

    private static (CorrelationGrace Grace, ManualTimeProvider Clock) Create()
    {
        var clock = new ManualTimeProvider(Arrived);
        return (new CorrelationGrace(Options.Create(new FeedbackOptions { CorrelationGrace = Grace }), clock), clock);
    }

    [Fact]
    public void Each_look_hides_the_event_about_as_long_as_it_waited_so_the_grace_takes_six_receives_within_the_redrive_limit()
    {
        var (grace, clock) = Create();
        var hides = new List<TimeSpan>();
        var receives = 1;
        CorrelationWait wait;
        while ((wait = grace.Judge(Received(receives), maxReceives: 10)) is CorrelationWait.Later later)
        {
            hides.Add(later.HideFor);
            clock.Advance(later.HideFor);
            receives++;
        }

        Assert.Equal([Grace / 16, Grace / 16, Grace / 8, Grace / 4, Grace / 2], hides);
        Assert.Equal(6, receives);
        Assert.Equal("waited 300 s (6 receive(s)) for a send to record it, as long as Engine:Feedback:CorrelationGrace allows (300 s)",
            Assert.IsType<CorrelationWait.GiveUp>(wait).Why);
    }

    [Fact]
    public void The_receive_before_the_queue_redrive_would_move_it_gives_it_up_with_the_reason()
    {
        var (grace, clock) = Create();
        clock.Advance(TimeSpan.FromSeconds(30));

        Assert.IsType<CorrelationWait.Later>(grace.Judge(Received(8), maxReceives: 10));
        Assert.Equal("waited 30 s for a send to record it; this was receive 9 and the feedback queue's redrive policy takes it after 10",
            Assert.IsType<CorrelationWait.GiveUp>(grace.Judge(Received(9), maxReceives: 10)).Why);
        Assert.IsType<CorrelationWait.Later>(grace.Judge(Received(9), maxReceives: null));
    }

    [Fact]
    public void A_zero_grace_gives_up_at_once_and_a_clock_behind_the_queue_counts_as_no_wait()
    {
        var clock = new ManualTimeProvider(Arrived - TimeSpan.FromSeconds(5));
        var none = new CorrelationGrace(Options.Create(new FeedbackOptions { CorrelationGrace = TimeSpan.Zero }), clock);
        var some = new CorrelationGrace(Options.Create(new FeedbackOptions { CorrelationGrace = Grace }), clock);

        Assert.IsType<CorrelationWait.GiveUp>(none.Judge(Received(1), maxReceives: 10));
        Assert.Equal(new CorrelationWait.Later(Grace / 16, TimeSpan.Zero), some.Judge(Received(1), maxReceives: 10));
    }

    [Fact]
    public void A_negative_grace_or_one_beyond_the_SQS_visibility_limit_is_refused_at_start()
    {
        Assert.Empty(new FeedbackOptions().Validate());
        Assert.Single(new FeedbackOptions { CorrelationGrace = TimeSpan.FromSeconds(-1) }.Validate());
        Assert.Single(new FeedbackOptions { CorrelationGrace = TimeSpan.FromHours(13) }.Validate());
    }
}
