namespace Messaging.Engine.Feedback;

/// <summary>How provider events are tied to messages. Section <c>Engine:Feedback</c>.</summary>
public sealed class FeedbackOptions
{
    public const string SectionName = "Engine:Feedback";

    /// <summary>
    /// How long an event that names only a provider message id no <c>Sent</c> has recorded yet is kept on the feedback
    /// queue, coming back, before it is dead-lettered as uncorrelated: the provider can answer, and its event arrive,
    /// before the engine has recorded <c>Sent</c>. Judged from when the event reached the queue. Default 5 min; zero
    /// dead-letters such an event at once.
    /// </summary>
    public TimeSpan CorrelationGrace { get; set; } = TimeSpan.FromMinutes(5);

    internal IEnumerable<string> Validate()
    {
        if (CorrelationGrace < TimeSpan.Zero || CorrelationGrace > TimeSpan.FromHours(12))
        {
            yield return $"{SectionName}:CorrelationGrace must be ≥ 0 and at most 12 hours (SQS's visibility limit).";
        }
    }
}
