using Akka.Configuration;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// The plugin's settings, read from its section of <c>config/akka.hocon</c>
/// (<c>akka.persistence.journal.engine</c>): which database, and the group commit's and recovery's tunables.
/// </summary>
internal sealed record EventStoreSettings(JournalOptions Writer, int RecoveryPrefetch, int RecoveryCacheCapacity, bool LingerByProvider = false)
{
    /// <summary>
    /// <c>batch-linger = auto</c>: 5 ms on SQLite, where it lowered the CPU per email in the benchmarks; none on
    /// PostgreSQL, where a commit already takes a round trip and the linger lowered the send rate (docs/benchmarks.md).
    /// </summary>
    public static TimeSpan LingerFor(JournalProvider provider) =>
        provider == JournalProvider.Sqlite ? TimeSpan.FromMilliseconds(5) : TimeSpan.Zero;

    /// <summary>
    /// These settings on the database the host chose (<c>Engine:Persistence</c>), which wins over the section's; the
    /// group commit's tunables stay the section's, and an <c>auto</c> linger becomes the chosen database's.
    /// </summary>
    public EventStoreSettings WithDatabase(JournalOptions database) => this with
    {
        Writer = new JournalOptions
        {
            Provider = database.Provider,
            SqlitePath = database.SqlitePath,
            SqliteSynchronous = database.SqliteSynchronous,
            PostgresConnectionString = database.PostgresConnectionString,
            MaxBatchSize = Writer.MaxBatchSize,
            BatchLinger = LingerByProvider ? LingerFor(database.Provider) : Writer.BatchLinger,
            WriteQueueCapacity = Writer.WriteQueueCapacity,
        },
    };

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
        var lingerByProvider = string.Equals(config.GetString("batch-linger", "auto"), "auto", StringComparison.OrdinalIgnoreCase);
        var writer = new JournalOptions
        {
            Provider = provider,
            SqlitePath = config.GetString("sqlite-path", "data/engine.db"),
            SqliteSynchronous = config.GetString("sqlite-synchronous", "FULL"),
            PostgresConnectionString = config.GetString("postgres-connection-string", null),
            MaxBatchSize = config.GetInt("max-batch-size", 512),
            BatchLinger = lingerByProvider ? LingerFor(provider) : config.GetTimeSpan("batch-linger", TimeSpan.Zero),
            WriteQueueCapacity = config.GetInt("write-queue-capacity", 8_192),
        };
        var problems = writer.Validate().ToList();
        var settings = new EventStoreSettings(
            writer, config.GetInt("recovery-prefetch", 256), config.GetInt("recovery-cache-capacity", 10_000), lingerByProvider);
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
