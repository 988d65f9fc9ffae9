using Akka.Actor;
using Messaging.Engine.Membership;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Engine.Tests.Persistence.AkkaPlugin;

/// <summary>The host's actor system: started by Akka.Hosting from the shipped settings, its journal the engine's plugin.</summary>
public sealed class EngineActorSystemHostingTests : IDisposable
{
    // Distinct from any key another test reads; removed again at the end.
    private const string EnvironmentOverride = "AKKA__PERSISTENCE__JOURNAL__ENGINE__WRITE_QUEUE_CAPACITY";

    private readonly string _contentRoot =
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"messaging-akka-host-{Guid.NewGuid():N}")).FullName;

    [Fact]
    public async Task The_host_starts_the_actor_system_with_the_engine_plugin_on_the_SQLite_database_Engine_Persistence_names()
    {
        Environment.SetEnvironmentVariable(EnvironmentOverride, "4096");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _contentRoot, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Persistence:SqlitePath"] = "state/engine.db",
        });
        builder.Configuration.AddEnvironmentVariables();
        builder.Services.AddOptions<JournalOptions>().Bind(builder.Configuration.GetSection(JournalOptions.SectionName));
        builder.Services.AddEngineActorSystem(builder.Configuration);
        using var host = builder.Build();

        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var config = system.Settings.Config;
            Assert.Equal("engine", system.Name);
            Assert.Equal("akka.persistence.journal.engine", config.GetString("akka.persistence.journal.plugin"));
            Assert.Equal("akka.persistence.snapshot-store.engine", config.GetString("akka.persistence.snapshot-store.plugin"));
            Assert.Equal(4096, config.GetInt("akka.persistence.journal.engine.write-queue-capacity"));
            Assert.Equal(512, config.GetInt("akka.persistence.journal.engine.max-batch-size"));
            // No replay-filter actor per recovery: the store never holds two writers' events under one sequence number.
            Assert.Equal("off", config.GetString("akka.persistence.journal.engine.replay-filter.mode"));

            // Through a persistent actor, as the next step's recipient entities will write.
            var store = EventStores.Get(system).For(config.GetConfig("akka.persistence.journal.engine"));
            Assert.Equal($"SQLite at {Path.Combine(_contentRoot, "state", "engine.db")}", store.Description);
            var observer = new Observer();
            var entity = system.ActorOf(Recorder.Props("hosted", system.ActorOf(Props.Create(() => new ForwardTo(observer)))));
            entity.Tell(new Recorder.Write("hello"));
            await observer.Persisted.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(1, CountRows("hosted"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(EnvironmentOverride, null);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_lone_node_without_seed_nodes_or_overrides_joins_itself_on_loopback_and_any_free_port()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _contentRoot, EnvironmentName = "Test" });
        builder.Services.AddOptions<JournalOptions>();
        builder.Services.AddEngineActorSystem(builder.Configuration);
        using var host = builder.Build();

        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var cluster = Akka.Cluster.Cluster.Get(system);
            Assert.Empty(cluster.Settings.SeedNodes);
            Assert.Equal("127.0.0.1", cluster.SelfAddress.Host);
            Assert.NotEqual(2552, cluster.SelfAddress.Port);
            Assert.Equal("keep-majority", system.Settings.Config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(up.SetResult);
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // The node's view of the leader follows its Up by a gossip round: wait for it, not for the first reading.
            var reader = host.Services.GetRequiredService<ClusterViewReader>();
            ClusterView? read = null;
            await Messaging.Testing.AwaitCondition.UntilAsync(async () =>
            {
                read = await reader.ReadAsync(TimeSpan.FromSeconds(5), default);
                return read.Leader is not null;
            }, TimeSpan.FromSeconds(30), "the node sees a leader");
            var view = read!;
            Assert.Equal(cluster.SelfAddress.ToString(), view.Self);
            Assert.Equal(view.Self, view.Leader);
            var member = Assert.Single(view.Members);
            Assert.Equal((view.Self, "up", true), (member.Address, member.Status, member.Reachable));
            Assert.Empty(view.Unreachable);
            // The recipients' region runs on this node; no recipient has been asked for, so it has no entity.
            Assert.All(view.Shards, n => Assert.Equal((view.Self, 0), (n.Address, n.Entities)));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void Environment_overrides_become_HOCON_keys_with_dashes_and_numbered_keys_a_list()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["akka:persistence:journal:engine:max_batch_size"] = "1024",
            ["akka:cluster:seed_nodes:1"] = "akka.tcp://engine@10.0.0.2:4053",
            ["akka:cluster:seed_nodes:0"] = "akka.tcp://engine@10.0.0.1:4053",
        }).Build();

        var config = EngineAkkaConfiguration.Overrides(configuration.GetSection("akka"));

        Assert.Equal(1024, config.GetInt("akka.persistence.journal.engine.max-batch-size"));
        Assert.Equal(["akka.tcp://engine@10.0.0.1:4053", "akka.tcp://engine@10.0.0.2:4053"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    private long CountRows(string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_contentRoot, "state", "engine.db")};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM event_journal WHERE persistence_id = @pid";
        command.Parameters.AddWithValue("@pid", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    public void Dispose()
    {
        if (Directory.Exists(_contentRoot))
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
    }

    private sealed class Observer
    {
        public TaskCompletionSource Persisted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class ForwardTo : ReceiveActor
    {
        public ForwardTo(Observer observer)
        {
            Receive<Recorder.Persisted>(_ => observer.Persisted.TrySetResult());
            Receive<Recorder.Recovered>(_ => { });
        }
    }
}
