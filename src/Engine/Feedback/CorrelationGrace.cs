using System.Globalization;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Feedback;

/// <summary>
/// Judges how long an event that cannot be tied to its message yet may wait for the <c>Sent</c> that would tie it.
/// The wait is counted from when the event reached the feedback queue (SQS's <c>SentTimestamp</c>): kept by SQS, the
/// same on every node and after every restart, and not taken from the event's content. Each look hides the event for
/// about as long as it has waited already (at least a sixteenth of the grace), so the whole grace costs about six
/// receives — fewer than the feedback queue's redrive policy allows; on the receive before the redrive would move it
/// (without a reason) it is given up anyway.
/// </summary>
internal sealed class CorrelationGrace(IOptions<FeedbackOptions> options, TimeProvider timeProvider)
{
    private static readonly TimeSpan ShortestHide = TimeSpan.FromSeconds(1);

    public TimeSpan Grace => options.Value.CorrelationGrace;

    /// <param name="message">The feedback queue message the event came in.</param>
    /// <param name="maxReceives">The feedback queue's redrive <c>maxReceiveCount</c>, null when it has none.</param>
    public CorrelationWait Judge(Message message, int? maxReceives)
    {
        var grace = Grace;
        var now = timeProvider.GetUtcNow();
        var arrived = message.SentAt ?? message.FirstReceivedAt ?? now;
        var waited = now > arrived ? now - arrived : TimeSpan.Zero;
        var receives = message.ApproximateReceiveCount;
        if (waited >= grace)
        {
            return new CorrelationWait.GiveUp(
                $"waited {Seconds(waited)} ({receives} receive(s)) for a send to record it, as long as {FeedbackOptions.SectionName}:CorrelationGrace allows ({Seconds(grace)})");
        }

        if (maxReceives is { } max && receives >= max - 1)
        {
            return new CorrelationWait.GiveUp(
                $"waited {Seconds(waited)} for a send to record it; this was receive {receives} and the feedback queue's redrive policy takes it after {max}");
        }

        var hide = Min(Max(waited, grace / 16), grace - waited);
        return new CorrelationWait.Later(Max(hide, ShortestHide), waited);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(span.TotalSeconds):0} s");
}
