namespace Messaging.Engine.Persistence;

public enum JournalProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Where and how events are stored. Section <c>Engine:Persistence</c>.</summary>
public sealed class JournalOptions
{
    public const string SectionName = "Engine:Persistence";

    public JournalProvider Provider { get; set; } = JournalProvider.Sqlite;

    /// <summary>SQLite database file; relative paths are under the content root. Default <c>data/engine.db</c>.</summary>
    public string SqlitePath { get; set; } = "data/engine.db";

    /// <summary>
    /// SQLite's <c>synchronous</c> setting. <c>FULL</c> (default) makes every committed batch survive a power cut;
    /// <c>NORMAL</c> survives a process crash only, and is faster.
    /// </summary>
    public string SqliteSynchronous { get; set; } = "FULL";

    /// <summary>Npgsql connection string, used when <see cref="Provider"/> is <c>Postgres</c>.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Most appends written in one transaction.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>
    /// How long a batch that found more than one write waiting waits for more before it is written (a lone write never
    /// waits). Zero: a batch takes just what queued while the previous one committed. The journal plugin reads its own
    /// <c>batch-linger</c> (<c>auto</c> in <c>config/akka.hocon</c>: 5 ms on SQLite, none on PostgreSQL).
    /// </summary>
    public TimeSpan BatchLinger { get; set; } = TimeSpan.Zero;

    /// <summary>Appends that may wait for the writer before writers are slowed down.</summary>
    public int WriteQueueCapacity { get; set; } = 8_192;

    /// <summary>A recipient's snapshot is taken every this many events, and the journal trimmed behind it.</summary>
    public int SnapshotEvery { get; set; } = 100;

    /// <summary>How long rows of the <c>messages</c> read table are kept. Default 90 days.</summary>
    public TimeSpan MessageRetention { get; set; } = TimeSpan.FromDays(90);

    internal IEnumerable<string> Validate()
    {
        if (Provider == JournalProvider.Postgres && string.IsNullOrWhiteSpace(PostgresConnectionString))
        {
            yield return $"{SectionName}:PostgresConnectionString is required when Provider is Postgres.";
        }

        if (Provider == JournalProvider.Sqlite && string.IsNullOrWhiteSpace(SqlitePath))
        {
            yield return $"{SectionName}:SqlitePath is required when Provider is Sqlite.";
        }

        if (SqliteSynchronous is not ("FULL" or "NORMAL" or "EXTRA"))
        {
            yield return $"{SectionName}:SqliteSynchronous must be FULL, NORMAL or EXTRA.";
        }

        if (MaxBatchSize is < 1 or > 10_000)
        {
            yield return $"{SectionName}:MaxBatchSize must be between 1 and 10000.";
        }

        if (BatchLinger < TimeSpan.Zero || BatchLinger > TimeSpan.FromSeconds(1))
        {
            yield return $"{SectionName}:BatchLinger must be between 0 and 1 second.";
        }

        if (WriteQueueCapacity < 1)
        {
            yield return $"{SectionName}:WriteQueueCapacity must be at least 1.";
        }

        if (SnapshotEvery < 1)
        {
            yield return $"{SectionName}:SnapshotEvery must be at least 1.";
        }

        if (MessageRetention < TimeSpan.FromDays(1))
        {
            yield return $"{SectionName}:MessageRetention must be at least one day.";
        }
    }
}
