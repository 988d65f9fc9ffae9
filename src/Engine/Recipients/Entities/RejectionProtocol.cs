namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// A request for this recipient could not be read (a bad field, say): record it as rejected with the reason, so the
/// recipient's history and the message lookup show it. Answered with a <see cref="RejectionOutcome"/>.
/// </summary>
public sealed record RecordRejectedRequest(RecipientKey Key, string MessageId, string Reason) : IRecipientMessage;

/// <summary>What <see cref="RecordRejectedRequest"/> did.</summary>
public enum RejectionOutcome
{
    Recorded,

    /// <summary>The message id is already another message's (or this recipient's, and not reusable): nothing recorded.</summary>
    MessageIdTaken,
}
