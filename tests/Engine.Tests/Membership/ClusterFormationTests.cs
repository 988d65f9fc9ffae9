using System.Globalization;
using Akka.Actor;
using Messaging.Engine.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Engine.Tests.Membership;

/// <summary>
/// <c>Engine:Akka:Formation</c> in the host's actor system: Cluster Bootstrap starts Akka.Management and forms the
/// cluster from discovery; it refuses to run beside seed nodes.
/// </summary>
public sealed class ClusterFormationTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _contentRoot =
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"messaging-formation-{Guid.NewGuid():N}")).FullName;

    [Fact]
    public async Task Bootstrap_with_config_discovery_listing_only_this_node_forms_a_cluster_of_one()
    {
        var port = EngineProcess.FreePort();
        using var host = Build(new Dictionary<string, string?>
        {
            ["Engine:Akka:Formation"] = "Bootstrap",
            ["akka:management:http:hostname"] = "127.0.0.1",
            ["akka:management:http:port"] = port.ToString(CultureInfo.InvariantCulture),
            ["akka:management:cluster:bootstrap:contact_point_discovery:required_contact_point_nr"] = "1",
            ["akka:discovery:config:services:messaging_engine:endpoints:0"] = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
        });

        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var cluster = Akka.Cluster.Cluster.Get(system);
            Assert.Empty(cluster.Settings.SeedNodes);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(up.SetResult);
            await up.Task.WaitAsync(Deadline);
            // The read view's leader follows the member events a moment later.
            await AwaitCondition.UntilAsync(() => Task.FromResult(Equals(cluster.State.Leader, cluster.SelfAddress)), Deadline,
                "this node leads its cluster of one");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Bootstrap_beside_seed_nodes_is_refused_at_start()
    {
        using var host = Build(new Dictionary<string, string?>
        {
            ["Engine:Akka:Formation"] = "Bootstrap",
            ["akka:management:http:hostname"] = "127.0.0.1",
            ["akka:management:http:port"] = EngineProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["akka:cluster:seed_nodes:0"] = "akka.tcp://engine@127.0.0.1:1",
        });

        // Akka.Hosting passes the startup's exception on: the engine process exits with it.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("akka.cluster.seed-nodes lists akka.tcp://engine@127.0.0.1:1", refused.Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _contentRoot, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddOptions<JournalOptions>();
        builder.Services.AddEngineActorSystem(builder.Configuration);
        return builder.Build();
    }

    public void Dispose()
    {
        if (Directory.Exists(_contentRoot))
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
    }
}
