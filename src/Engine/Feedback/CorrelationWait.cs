namespace Messaging.Engine.Feedback;

/// <summary>What becomes of an event whose message has no row with its provider id yet (see <see cref="CorrelationGrace"/>).</summary>
internal abstract record CorrelationWait
{
    private CorrelationWait() { }

    /// <summary>Still within the grace: hide it on the queue for <paramref name="HideFor"/> and look again.</summary>
    public sealed record Later(TimeSpan HideFor, TimeSpan Waited) : CorrelationWait;

    /// <summary>Waited long enough: dead-letter it, saying <paramref name="Why"/>.</summary>
    public sealed record GiveUp(string Why) : CorrelationWait;
}
