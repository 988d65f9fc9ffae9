namespace Messaging.Engine.Recipients.Entities;

/// <summary>Asks for the entity's state (woken from the journal if it was passivated); answered with a <see cref="RecipientSnapshot"/>.</summary>
public sealed record QueryRecipient(RecipientKey Key) : IRecipientMessage;

/// <summary>An operator suppresses the recipient by hand; answered with a <see cref="SuppressionChange"/>.</summary>
public sealed record SuppressByOperator(RecipientKey Key, string By, string Note) : IRecipientMessage;

/// <summary>An operator lifts a suppression; who and why are recorded. Answered with a <see cref="SuppressionChange"/>.</summary>
public sealed record UnsuppressByOperator(RecipientKey Key, string By, string Reason) : IRecipientMessage;
