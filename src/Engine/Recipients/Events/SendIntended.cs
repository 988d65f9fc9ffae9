namespace Messaging.Engine.Recipients.Events;

/// <summary>The engine is about to call the provider. Written before the call, so a crash cannot cause a second send.</summary>
public sealed record SendIntended(string MessageId, DateTimeOffset At) : IMessageEvent;
