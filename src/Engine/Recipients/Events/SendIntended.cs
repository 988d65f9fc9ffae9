namespace Messaging.Engine.Recipients.Events;

/// <summary>The engine is about to call the provider. Written before the call, so a crash cannot cause a second send.</summary>
/// <param name="Template">The template version the message was made from (<c>order-shipped@3</c>); null for inline content.</param>
public sealed record SendIntended(string MessageId, DateTimeOffset At, string? Template = null) : IMessageEvent;
