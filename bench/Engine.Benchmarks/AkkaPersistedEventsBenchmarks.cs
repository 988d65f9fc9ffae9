using Akka.Actor;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;
using Messaging.Engine;
using Messaging.Testing;

namespace Messaging.Benchmarks;

/// <summary>
/// Persisted events per second through Akka persistent actors on the engine's plugin: each actor persists one event per
/// command and answers in the persist callback, and each caller awaits that answer before the next command — the shape
/// the in-house runtime's figures in docs/benchmarks.md were measured with, so the two read side by side.
/// </summary>
public class AkkaPersistedEventsBenchmarks
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromMinutes(1);

    private ActorSystem _system = null!;
    private IActorRef[] _entities = [];
    private string? _directory;
    private PostgresServer? _postgres;

    [Params(StoreKind.Sqlite, StoreKind.Postgres)]
    public StoreKind Store { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        string storage;
        if (Store == StoreKind.Sqlite)
        {
            _directory = Path.Combine(Path.GetTempPath(), $"messaging-bench-akka-{Guid.NewGuid():N}");
            storage = $"provider = sqlite, sqlite-path = \"{Path.Combine(_directory, "engine.db")}\"";
        }
        else
        {
            _postgres = new PostgresServer();
            await _postgres.InitializeAsync();
            storage = $"provider = postgres, postgres-connection-string = \"{await _postgres.CreateDatabaseAsync()}\"";
        }

        var config = ConfigurationFactory.ParseString($"akka.loglevel = WARNING\nakka.persistence.journal.engine {{ {storage} }}")
            .WithFallback(EngineAkkaConfiguration.Settings("config/akka.hocon"));
        _system = ActorSystem.Create("bench", config);
        _entities = Enumerable.Range(0, 10_000)
            .Select(i => _system.ActorOf(Props.Create(() => new PersistingEntity($"email:user{i}@example.com"))))
            .ToArray();
        // Every entity is recovered before measuring: this measures persisting, not first-time recovery.
        await Task.WhenAll(_entities.Select(e => e.Ask<long>(PersistingEntity.Ping.Instance, AskTimeout)));
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _system.Terminate();
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

    [Benchmark(OperationsPerInvoke = 200)]
    public Task OneActor() => RunAsync(actors: 1, eventsEach: 200);

    [Benchmark(OperationsPerInvoke = 10_000)]
    public Task HundredActors() => RunAsync(actors: 100, eventsEach: 100);

    [Benchmark(OperationsPerInvoke = 20_000)]
    public Task TenThousandActors() => RunAsync(actors: 10_000, eventsEach: 2);

    private Task RunAsync(int actors, int eventsEach) =>
        Task.WhenAll(_entities.Take(actors).Select(async entity =>
        {
            for (var i = 0; i < eventsEach; i++)
            {
                await entity.Ask<long>(PersistingEntity.PersistOne.Instance, AskTimeout);
            }
        }));
}
