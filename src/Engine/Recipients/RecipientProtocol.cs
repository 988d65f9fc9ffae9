using Messaging.Contracts.Requests;
using Messaging.Engine.Actors;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Recipients;

/// <summary>What a recipient actor can be told or asked. The sending pipeline and feedback add their own commands.</summary>
public abstract record RecipientCommand;

/// <summary>
/// Send this request (once): deduplicate, check suppression and caps, honour notBefore, render, send and record.
/// <paramref name="Priority"/> is the request queue's (0 first) and orders the wait for the send rate.
/// <paramref name="Abandoned"/> fires when the pipeline gives the request back to its queue (shutdown): the actor
/// stops waiting for the send rate — but once the send intent is written, it goes through with the call.
/// </summary>
public sealed record DeliverRequest(
    MessageRequest Request, int Priority, Reply<DeliveryOutcome> Reply, CancellationToken Abandoned = default) : RecipientCommand
{
    public override string ToString() => $"DeliverRequest({Request.MessageId} to {Request.Channel}:{Request.To})";
}

/// <summary>
/// A request for this recipient could not be read (a bad field, say): record it as rejected with the reason, so the
/// recipient's history and the message lookup show it. Does nothing if the message id is already known.
/// </summary>
public sealed record RecordRejection(string MessageId, string Reason, Reply<bool> Reply) : RecipientCommand;

/// <summary>Asks for the actor's current state (live, or loaded from storage if it was passivated).</summary>
public sealed record GetRecipientState(Reply<RecipientSnapshot> Reply) : RecipientCommand;

/// <summary>An operator suppresses the recipient by hand.</summary>
public sealed record SuppressRecipient(string By, string Note, Reply<SuppressionChange> Reply) : RecipientCommand;

/// <summary>An operator lifts a suppression; who and why are recorded.</summary>
public sealed record UnsuppressRecipient(string By, string Reason, Reply<SuppressionChange> Reply) : RecipientCommand;

/// <summary>The state of one recipient as of <paramref name="SequenceNr"/>.</summary>
public sealed record RecipientSnapshot(RecipientKey Key, RecipientState State, long SequenceNr);

/// <summary>What a suppression command did.</summary>
public enum SuppressionChange
{
    Suppressed,
    AlreadySuppressed,
    Unsuppressed,
    WasNotSuppressed,
}

/// <summary>Pure decisions: state, command and now in, events out. Nothing here touches storage.</summary>
public static class RecipientDecisions
{
    public static IReadOnlyList<IRecipientEvent> Suppress(RecipientState state, string by, string note, DateTimeOffset now) =>
        state.IsSuppressed ? [] : [new Suppressed(SuppressionReason.Operator, now, By: by, Note: note)];

    public static IReadOnlyList<IRecipientEvent> Unsuppress(RecipientState state, string by, string reason, DateTimeOffset now) =>
        state.IsSuppressed ? [new Unsuppressed(by, reason, now)] : [];
}
