using Akka.Actor.Setup;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// What the plugin takes from the host rather than from HOCON: where it logs and the clock it reads. Given to the actor
/// system as a setup (<c>AddSetup</c> with Akka.Hosting); without one the plugin logs nowhere and uses the system clock.
/// </summary>
public sealed class EventStoreSetup(ILoggerFactory loggerFactory, TimeProvider timeProvider) : Setup
{
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    public TimeProvider TimeProvider { get; } = timeProvider;
}
