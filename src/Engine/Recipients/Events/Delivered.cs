namespace Messaging.Engine.Recipients.Events;

/// <summary>The provider reports delivery to the recipient's server or handset.</summary>
public sealed record Delivered(string MessageId, DateTimeOffset At) : IMessageEvent;
