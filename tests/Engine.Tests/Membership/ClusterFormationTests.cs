using System.Globalization;
using Messaging.Engine.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Messaging.Engine.Tests.Membership;

/// <summary>
/// <c>Engine:Akka:Formation</c> in the host's actor system: Cluster Bootstrap refuses to run beside seed nodes. Forming a
/// cluster by bootstrap needs the host's contact point, so it is tested with engine processes (ClusterBootstrapTests).
/// </summary>
public sealed class ClusterFormationTests : IDisposable
{
    private readonly string _contentRoot =
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"messaging-formation-{Guid.NewGuid():N}")).FullName;

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
