using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Tests.Persistence.AkkaPlugin;

/// <summary>A recipient event with no stored type name: the recipient-event serializer must refuse it.</summary>
public sealed record UnnamedRecipientEvent(DateTimeOffset At) : IRecipientEvent;
