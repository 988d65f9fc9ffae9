using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Messaging.Engine.Persistence.Postgres;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// The actor system's event stores, one per database, created on first use by a plugin and closed (queued writes
/// written first) when the system terminates.
/// </summary>
internal sealed class EventStores : IExtension
{
    private readonly ConcurrentDictionary<string, Lazy<EventStore>> _stores = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggerFactory;
    private readonly JournalOptions? _database;
    private EventStore? _defaultJournal;

    public EventStores(ExtendedActorSystem system)
    {
        var setup = system.Settings.Setup.Get<EventStoreSetup>();
        _loggerFactory = setup.HasValue ? setup.Value.LoggerFactory : NullLoggerFactory.Instance;
        TimeProvider = setup.HasValue ? setup.Value.TimeProvider : TimeProvider.System;
        _database = setup.HasValue ? setup.Value.Database : null;
        system.RegisterOnTermination(() =>
        {
            foreach (var store in _stores.Values.Where(s => s.IsValueCreated))
            {
                // Termination callbacks are synchronous; the wait is bounded by the writes already queued.
                store.Value.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
    }

    /// <summary>The clock the plugins stamp writes with, and the group commit's linger runs on.</summary>
    public TimeProvider TimeProvider { get; }

    public static EventStores Get(ActorSystem system) => system.WithExtension<EventStores, EventStoresProvider>();

    /// <summary>The store for the database a plugin section names.</summary>
    public EventStore For(Config pluginConfig)
    {
        var settings = EventStoreSettings.From(pluginConfig);
        if (_database is { } database)
        {
            settings = settings.WithDatabase(database);
        }

        return _stores.GetOrAdd(settings.StoreKey, _ => new Lazy<EventStore>(() => Open(settings))).Value;
    }

    /// <summary>The store of the system's default journal (<c>akka.persistence.journal.plugin</c>).</summary>
    public EventStore ForDefaultJournal(ActorSystem system)
    {
        // Looked up once: every new recipient entity asks, and reading the layered HOCON (a merge per lookup) was 3.5 %
        // of the engine's CPU in scenario (a), where most emails go to a new recipient.
        return LazyInitializer.EnsureInitialized(ref _defaultJournal, () =>
        {
            // Read section by section: a full path through the host's layered settings does not always resolve.
            var config = system.Settings.Config;
            return For(config.GetConfig(config.GetConfig("akka.persistence.journal").GetString("plugin")));
        });
    }

    private EventStore Open(EventStoreSettings settings)
    {
        var logger = _loggerFactory.CreateLogger<EventStore>();
        SqlDialect dialect = settings.Writer.Provider == JournalProvider.Sqlite
            ? new SqliteDialect(settings.Writer.SqlitePath, settings.Writer.SqliteSynchronous, logger)
            : new PostgresDialect(settings.Writer.PostgresConnectionString!);
        return new EventStore(dialect, settings, TimeProvider, logger);
    }
}
