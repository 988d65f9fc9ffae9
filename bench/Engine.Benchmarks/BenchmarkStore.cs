using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Testing;
using Messaging.Engine.Recipients;
using Messaging.Engine.Sending;
using Messaging.Engine.Throttling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Benchmarks;

public enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>A fresh journal for one benchmark process: a SQLite file in a temporary folder, or a private PostgreSQL.</summary>
internal sealed class BenchmarkStore : IAsyncDisposable
{
    private readonly string? _directory;
    private readonly PostgresServer? _postgres;

    private BenchmarkStore(SqlJournal journal, JournalOptions options, string? directory, PostgresServer? postgres)
    {
        Journal = journal;
        Options = options;
        _directory = directory;
        _postgres = postgres;
    }

    public SqlJournal Journal { get; }

    /// <summary>What recipient actors need, over this store; the provider clients point nowhere (nothing is sent).</summary>
    public RecipientServices RecipientServices()
    {
        var aws = AwsTestServices.Create(ses: new Uri("http://127.0.0.1:9"), sms: new Uri("http://127.0.0.1:9"));
        var journal = new RecipientJournal(Journal, new RecipientEventSerializer(), Microsoft.Extensions.Options.Options.Create(Options));
        return new RecipientServices(journal, aws.GetRequiredService<MessageRenderer>(), aws.GetRequiredService<ProviderSender>(),
            aws.GetRequiredService<SendThrottles>(), Microsoft.Extensions.Options.Options.Create(new SendingOptions()), TimeProvider.System,
            aws.GetRequiredService<Messaging.Engine.Reputation.ReputationGuard>(), aws.GetRequiredService<Messaging.Engine.Reputation.ReputationCounter>(),
            new Messaging.Engine.Feedback.FeedbackProgress());
    }

    public JournalOptions Options { get; }

    public static async Task<BenchmarkStore> StartAsync(StoreKind kind, int snapshotEvery = 100)
    {
        if (kind == StoreKind.Sqlite)
        {
            var directory = Path.Combine(Path.GetTempPath(), $"messaging-bench-{Guid.NewGuid():N}");
            var options = new JournalOptions { Provider = JournalProvider.Sqlite, SqlitePath = Path.Combine(directory, "engine.db"), SnapshotEvery = snapshotEvery };
            return new BenchmarkStore(await OpenAsync(options, directory), options, directory, null);
        }

        var postgres = new PostgresServer();
        await postgres.InitializeAsync();
        var pgOptions = new JournalOptions
        {
            Provider = JournalProvider.Postgres,
            PostgresConnectionString = await postgres.CreateDatabaseAsync(),
            SnapshotEvery = snapshotEvery,
        };
        return new BenchmarkStore(await OpenAsync(pgOptions, Path.GetTempPath()), pgOptions, null, postgres);
    }

    private static async Task<SqlJournal> OpenAsync(JournalOptions options, string contentRoot)
    {
        var journal = SqlJournal.Create(options, contentRoot, TimeProvider.System, NullLogger.Instance);
        await journal.MigrateAsync(CancellationToken.None);
        return journal;
    }

    public async ValueTask DisposeAsync()
    {
        await Journal.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        if (_directory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
