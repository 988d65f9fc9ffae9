namespace Messaging.Engine.Actors;

/// <summary>A message in a mailbox, with the reply to fail if the message cannot be handled.</summary>
internal readonly record struct Envelope<TMessage>(TMessage Message, IReplyTo? Reply);
