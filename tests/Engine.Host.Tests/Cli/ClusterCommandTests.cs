using Messaging.Host.Cli;
using Messaging.Host.Tests.Api;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Cli;

/// <summary><c>engine cluster</c> against a running host's operator API (a real loopback port).</summary>
public sealed class ClusterCommandTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static ServiceProvider Services(params (string Key, string Value)[] settings) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build())
        // As the CLI's own services have it (the engine registers the factory): the command's client comes from it.
        .AddHttpClient()
        .BuildServiceProvider();

    private static async Task<(int Code, string Output, string Error)> RunAsync(Func<ServiceProvider> services, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await EngineCommands.InvokeAsync(args, services, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Engine_cluster_shows_the_running_node_as_the_leader_of_its_one_node_cluster()
    {
        await using var host = await OperatorHost.StartAsync(peers, kestrel: true);
        var self = Akka.Cluster.Cluster.Get(host.Services.GetRequiredService<Akka.Actor.ActorSystem>()).SelfAddress.ToString();
        await AwaitCondition.UntilAsync(async () =>
            (await RunAsync(() => Services(), "cluster", "--url", host.BaseAddress.ToString(), "--token", OperatorTokens.Hs256("reader"))).Output
                .Contains($"{self} (leader)  up", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the node is up and leads");

        // The URL from ENGINE_API_URL and a token signed with the configured secret, as in a terminal after run-local.sh.
        var (code, output, error) = await RunAsync(() => Services((RunningEngine.UrlVariable, host.BaseAddress.ToString()), ("Host:Auth:SigningKey", OperatorTokens.Secret)),
            "cluster", "--json");
        Assert.True(code == 0, error);
        Assert.Contains($"\"leader\": \"{self}\"", output, StringComparison.Ordinal);
        Assert.Contains("\"status\": \"up\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Engine_cluster_without_a_running_engine_says_so_in_one_line_and_exits_1()
    {
        var url = $"http://127.0.0.1:{EngineProcess.FreePort()}";

        var (code, output, error) = await RunAsync(() => Services(), "cluster", "--url", url, "--token", OperatorTokens.Hs256("reader"));

        Assert.Equal(1, code);
        Assert.Empty(output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"engine cluster: no engine answers at {url}/", line, StringComparison.Ordinal);
    }
}
