namespace Messaging.Engine.Actors;

/// <summary>What the supervisor does about a message whose handler threw.</summary>
public enum Directive
{
    /// <summary>Discard the actor instance, start a fresh one from storage, and hand it the same message again.</summary>
    Restart,

    /// <summary>Give up on the message: fail its reply with <see cref="PoisonMessageException"/> and publish it as a dead letter.</summary>
    Escalate,
}
