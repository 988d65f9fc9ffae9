using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Messaging.Engine.Membership;
using Messaging.Testing;
using Newtonsoft.Json;

namespace Messaging.Host.Tests.Cluster;

/// <summary>
/// Engine processes given no seed nodes form their Akka cluster through Akka.Management's Cluster Bootstrap, with the
/// contact points from Akka.Discovery's <c>config</c> method, all set through environment variables as an operator would.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class ClusterBootstrapTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private readonly ClusterNodeProcesses _nodes = new("b", "messaging-akka-bootstrap");

    public Task InitializeAsync() => _nodes.InitializeAsync(peers);

    public async Task DisposeAsync() => await _nodes.DisposeAsync();

    [Fact]
    public async Task Two_nodes_without_seed_nodes_form_one_cluster_through_Cluster_Bootstrap_with_config_discovery()
    {
        int[] managementPorts = [EngineProcess.FreePort(), EngineProcess.FreePort()];
        foreach (var port in managementPorts)
        {
            var environment = NodeEnvironment(port);
            environment["Engine__Akka__Formation"] = "Bootstrap";
            environment["AKKA__MANAGEMENT__CLUSTER__BOOTSTRAP__CONTACT_POINT_DISCOVERY__DISCOVERY_METHOD"] = "config";
            for (var i = 0; i < managementPorts.Length; i++)
            {
                environment[$"AKKA__DISCOVERY__CONFIG__SERVICES__MESSAGING_ENGINE__ENDPOINTS__{i}"] =
                    $"127.0.0.1:{managementPorts[i].ToString(CultureInfo.InvariantCulture)}";
            }

            await StartAsync(environment);
        }

        // One cluster: both nodes list the same two members Up and the same leader. Without bootstrap each would be a
        // cluster of its own (no seed nodes: it joins itself).
        var views = new ClusterView[2];
        await AwaitCondition.UntilAsync(async () =>
        {
            for (var i = 0; i < views.Length; i++)
            {
                views[i] = await ViewAsync(i);
            }

            return views.All(v => v.Members.Count == 2 && v.Members.All(m => m.Status == "up") && v.Leader is not null)
                   && views.Select(v => v.Leader).Distinct().Count() == 1;
        }, Deadline, "the two nodes form one cluster through Cluster Bootstrap");
        Assert.Equal(views.Select(v => v.Self).Order(StringComparer.Ordinal), views[0].Members.Select(m => m.Address));

        // Each node's management port answers the bootstrap probe, read as Akka.Management's prober reads it, with itself
        // and the cluster it belongs to.
        using var management = new HttpClient();
        for (var i = 0; i < managementPorts.Length; i++)
        {
            var body = await management.GetStringAsync(new Uri($"http://127.0.0.1:{managementPorts[i].ToString(CultureInfo.InvariantCulture)}/bootstrap/seed-nodes"));
            var seeds = JsonConvert.DeserializeObject<HttpBootstrapJsonProtocol.SeedNodes>(body)!;
            Assert.Contains(seeds.SelfNode.ToString(), views.Select(v => v.Self));
            Assert.Equal(views[0].Members.Select(m => m.Address), seeds.Nodes.Select(n => n.Node.ToString()).Order(StringComparer.Ordinal));
        }

        // The management port serves the probe and nothing else; the host's own port does not serve the probe.
        using var health = await management.GetAsync(new Uri($"http://127.0.0.1:{managementPorts[0].ToString(CultureInfo.InvariantCulture)}/health/live"));
        Assert.Equal(HttpStatusCode.NotFound, health.StatusCode);
        using var probe = await _nodes.Apis[0].GetAsync(new Uri("/bootstrap/seed-nodes", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
    }

    [Fact]
    public async Task A_node_left_on_seed_nodes_forms_its_own_cluster_and_opens_no_management_port()
    {
        var managementPort = EngineProcess.FreePort();
        await StartAsync(NodeEnvironment(managementPort));

        await AwaitCondition.UntilAsync(async () =>
        {
            var view = await ViewAsync(0);
            return view.Members.Count == 1 && view.Members[0].Status == "up" && view.Leader == view.Self;
        }, Deadline, "the lone node forms a cluster of its own");

        using var management = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() =>
            management.GetAsync(new Uri($"http://127.0.0.1:{managementPort.ToString(CultureInfo.InvariantCulture)}/bootstrap/seed-nodes")));
    }

    /// <summary>A node on its own SQLite database, its management endpoint (used only when bootstrapping) on loopback.</summary>
    private Dictionary<string, string> NodeEnvironment(int managementPort)
    {
        var environment = EngineProcess.PeerEnvironment(peers, peers.SesEndpoint, _nodes.Prefix);
        environment["Engine__Persistence__SqlitePath"] = Path.Combine(_nodes.Directory, $"node-{managementPort.ToString(CultureInfo.InvariantCulture)}.db");
        environment["Engine__Ingest__RequestQueues__0__Name"] = $"{_nodes.Prefix}-requests";
        environment["Engine__Throttling__EmailMaxSendRate"] = "0";
        environment["Host__Auth__SigningKey"] = OperatorTokens.Secret;
        environment["AKKA__MANAGEMENT__HTTP__HOSTNAME"] = "127.0.0.1";
        environment["AKKA__MANAGEMENT__HTTP__PORT"] = managementPort.ToString(CultureInfo.InvariantCulture);
        return environment;
    }

    private async Task StartAsync(Dictionary<string, string> environment)
    {
        var engine = EngineProcess.Start(typeof(Program).Assembly.Location, environment);
        _nodes.Engines.Add(engine);
        var api = new HttpClient { BaseAddress = await engine.ListeningAtAsync(Deadline) };
        api.DefaultRequestHeaders.Authorization = new("Bearer", OperatorTokens.Hs256("reader"));
        _nodes.Apis.Add(api);
    }

    private async Task<ClusterView> ViewAsync(int node) =>
        await _nodes.Apis[node].GetFromJsonAsync<ClusterView>(new Uri("/cluster", UriKind.Relative)) ?? throw new InvalidOperationException("no cluster view");
}
