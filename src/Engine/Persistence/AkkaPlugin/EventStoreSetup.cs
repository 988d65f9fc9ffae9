using Akka.Actor.Setup;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// What the plugin takes from the host rather than from HOCON: where it logs, the clock it reads and times the group
/// commit's linger on and, when the host chose it in <c>Engine:Persistence</c>, the database. Given to the actor system
/// as a setup (<c>AddSetup</c> with Akka.Hosting); without one the plugin logs nowhere, uses the system clock and the
/// database its HOCON section names.
/// </summary>
public sealed class EventStoreSetup(ILoggerFactory loggerFactory, TimeProvider timeProvider) : Setup
{
    /// <summary>
    /// The database every plugin section uses (provider, SQLite path and synchronous mode, PostgreSQL connection string),
    /// over what HOCON says: an object, not a layer of settings, so the host's choice cannot be shadowed by another layer.
    /// </summary>
    public JournalOptions? Database { get; init; }

    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    public TimeProvider TimeProvider { get; } = timeProvider;
}
