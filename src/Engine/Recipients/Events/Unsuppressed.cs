namespace Messaging.Engine.Recipients.Events;

/// <summary>An operator lifted the suppression; who and why are kept.</summary>
public sealed record Unsuppressed(string By, string Reason, DateTimeOffset At) : IRecipientEvent;
