using Akka.Configuration;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// The plugin's settings, read from its section of <c>config/akka.hocon</c>
/// (<c>akka.persistence.journal.engine</c>): which database, and the group commit's and recovery's tunables.
/// </summary>
internal sealed record EventStoreSettings(JournalOptions Writer, int RecoveryPrefetch, int RecoveryCacheCapacity)
{
    /// <summary>Identifies the database: plugins configured for the same one share one store (one writer).</summary>
    public string StoreKey => Writer.Provider == JournalProvider.Sqlite
        ? "sqlite:" + Path.GetFullPath(Writer.SqlitePath)
        : "postgres:" + Writer.PostgresConnectionString;

    public static EventStoreSettings From(Config config)
    {
        var provider = config.GetString("provider", "sqlite").ToLowerInvariant() switch
        {
            "sqlite" => JournalProvider.Sqlite,
            "postgres" or "postgresql" => JournalProvider.Postgres,
            var other => throw new ConfigurationException($"The event store's provider must be sqlite or postgres, not '{other}'."),
        };
        var writer = new JournalOptions
        {
            Provider = provider,
            SqlitePath = config.GetString("sqlite-path", "data/engine.db"),
            SqliteSynchronous = config.GetString("sqlite-synchronous", "FULL"),
            PostgresConnectionString = config.GetString("postgres-connection-string", null),
            MaxBatchSize = config.GetInt("max-batch-size", 512),
            BatchLinger = config.GetTimeSpan("batch-linger", TimeSpan.Zero),
            WriteQueueCapacity = config.GetInt("write-queue-capacity", 8_192),
        };
        var problems = writer.Validate().ToList();
        var settings = new EventStoreSettings(
            writer, config.GetInt("recovery-prefetch", 256), config.GetInt("recovery-cache-capacity", 10_000));
        if (settings.RecoveryPrefetch < 1)
        {
            problems.Add("recovery-prefetch must be at least 1.");
        }

        if (settings.RecoveryCacheCapacity < 0)
        {
            problems.Add("recovery-cache-capacity must not be negative.");
        }

        return problems.Count == 0
            ? settings
            : throw new ConfigurationException("The event store's settings are invalid: " + string.Join(" ", problems));
    }
}
