using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;
using Messaging.Engine;
using Messaging.Testing;

namespace Messaging.Benchmarks;

/// <summary>
/// Persisted events per second through Akka persistent actors on the engine's plugin: each actor persists one event per
/// command and answers in the persist callback, and each caller awaits that answer before the next command — the shape
/// the in-house runtime's figures in docs/benchmarks.md were measured with, so the two read side by side. Sharded, the
/// actors are entities of a shard region on a one-node cluster and every command goes through the region, as the
/// engine reaches its recipients; otherwise each is a plain child of the system, asked directly.
/// </summary>
public class AkkaPersistedEventsBenchmarks
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromMinutes(1);

    private ActorSystem _system = null!;
    // Whom each caller asks, and with what: the entity itself, or the region with the entity's envelope.
    private (IActorRef Target, object Ping, object PersistOne)[] _entities = [];
    private string? _directory;
    private PostgresServer? _postgres;

    [Params(StoreKind.Sqlite, StoreKind.Postgres)]
    public StoreKind Store { get; set; }

    [Params(false, true)]
    public bool Sharded { get; set; }

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
        var ids = Enumerable.Range(0, 10_000).Select(i => $"email:user{i}@example.com").ToArray();
        if (Sharded)
        {
            var region = await StartRegionAsync(_system);
            _entities = ids.Select(id => (region, (object)new EntityEnvelope(id, PersistingEntity.Ping.Instance), (object)new EntityEnvelope(id, PersistingEntity.PersistOne.Instance))).ToArray();
        }
        else
        {
            _entities = ids.Select(id => (_system.ActorOf(Props.Create(() => new PersistingEntity(id))), (object)PersistingEntity.Ping.Instance, (object)PersistingEntity.PersistOne.Instance)).ToArray();
        }

        // Every entity is recovered before measuring: this measures persisting, not first-time recovery.
        await Task.WhenAll(_entities.Select(e => e.Target.Ask<long>(e.Ping, AskTimeout)));
    }

    /// <summary>Joins the node to itself (a one-node cluster, as a lone engine forms) and starts a region of <see cref="PersistingEntity"/>.</summary>
    private static async Task<IActorRef> StartRegionAsync(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        await cluster.JoinAsync(cluster.SelfAddress);
        await up.Task.WaitAsync(AskTimeout);
        return await ClusterSharding.Get(system).StartAsync(
            "bench-entity",
            id => Props.Create(() => new PersistingEntity(id)),
            ClusterShardingSettings.Create(system),
            HashCodeMessageExtractor.Create(100, m => m is EntityEnvelope e ? e.EntityId : null, m => m is EntityEnvelope e ? e.Message : m));
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
                await entity.Target.Ask<long>(entity.PersistOne, AskTimeout);
            }
        }));
}
