using Amazon.SQS.Model;
using Messaging.Engine.DeadLetters;

namespace Messaging.Engine.Ingest;

/// <summary>What becomes of a received request on its queue once the engine has decided it: every path ends in one.</summary>
internal abstract record RequestSettlement
{
    private RequestSettlement()
    {
    }

    /// <summary>Finished (its outcome is durable): deleted.</summary>
    public sealed record Delete : RequestSettlement;

    /// <summary>Hidden on its queue until <paramref name="Delay"/> has passed, then received again.</summary>
    public sealed record Hide(TimeSpan Delay) : RequestSettlement;

    /// <summary>
    /// Put back as a fresh copy delayed by <paramref name="Delay"/> (a standard queue: the copy's receive count starts
    /// over), carrying <paramref name="Attribute"/> when given; the received one is then deleted. If the copy cannot be
    /// written, the request is hidden instead.
    /// </summary>
    public sealed record Copy(TimeSpan Delay, KeyValuePair<string, MessageAttributeValue>? Attribute = null) : RequestSettlement;

    /// <summary>Written to the dead-letter queue with its reason, then deleted; left on its queue if the write fails.</summary>
    public sealed record DeadLetter(DeadLetterReason Reason) : RequestSettlement;

    /// <summary>Visible again at once, for another node or the next start (shutdown gave up on it).</summary>
    public sealed record Release : RequestSettlement;

    /// <summary>Left as it is: it reappears when its visibility ends (its processing failed; the reason is logged).</summary>
    public sealed record Leave : RequestSettlement;
}
