using Akka.Actor;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>Akka's extension id for <see cref="EventStores"/>.</summary>
internal sealed class EventStoresProvider : ExtensionIdProvider<EventStores>
{
    public override EventStores CreateExtension(ExtendedActorSystem system) => new(system);
}
