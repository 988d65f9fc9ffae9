using System.Net.Http.Json;
using Messaging.Engine.Membership;
using Messaging.Testing;

namespace Messaging.Host.Tests.Cluster;

/// <summary>
/// Three engine processes given the same seed node, each on its own SQLite database, form one Akka cluster; what each
/// sees is read from its operator API (<c>GET /cluster</c>).
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class AkkaClusterTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private readonly ClusterNodeProcesses _nodes = new("k", "messaging-akka-cluster");

    public Task InitializeAsync() => _nodes.InitializeAsync(peers);

    public async Task DisposeAsync() => await _nodes.DisposeAsync();

    [Fact]
    public async Task Three_nodes_with_one_seed_form_one_cluster_a_killed_node_is_downed_and_a_stopped_node_leaves()
    {
        int[] ports = [EngineProcess.FreePort(), EngineProcess.FreePort(), EngineProcess.FreePort()];
        foreach (var port in ports)
        {
            Start(port, seedPort: ports[0]);
        }

        foreach (var engine in _nodes.Engines)
        {
            var api = new HttpClient { BaseAddress = await engine.ListeningAtAsync(Deadline) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", OperatorTokens.Hs256("reader"));
            _nodes.Apis.Add(api);
        }

        // One cluster: every node lists the same three members Up and the same leader.
        var views = new ClusterView[3];
        await AwaitCondition.UntilAsync(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                views[i] = await ViewAsync(i);
            }

            return views.All(v => v.Members.Count == 3 && v.Members.All(m => m.Status == "up") && v.Leader is not null)
                   && views.Select(v => v.Leader).Distinct().Count() == 1;
        }, Deadline, "the three nodes form one cluster");
        Assert.Equal(ports.Select(p => $"akka.tcp://engine@127.0.0.1:{p}").Order(StringComparer.Ordinal), views[0].Members.Select(m => m.Address));
        Assert.Equal(3, views.Select(v => v.Self).Distinct().Count());
        Assert.All(views[0].Members, m => Assert.NotNull(m.UpSince));
        // Each node runs the recipients' region; no recipient was asked for, so none has an entity.
        Assert.All(views[0].Shards, n => Assert.Contains(n.Address, views[0].Members.Select(m => m.Address)));
        Assert.All(views[0].Shards, n => Assert.Equal(0, n.Entities));

        // SIGKILL: the others' failure detectors mark it unreachable, then the split-brain resolver (2 of 3 is the
        // majority) downs it and the leader removes it.
        var killed = views[2].Self;
        await _nodes.Engines[2].KillHardAsync();
        await AwaitCondition.UntilAsync(async () =>
            (await ViewAsync(0)).Unreachable.Contains(killed) || (await ViewAsync(1)).Unreachable.Contains(killed),
            Deadline, "the killed node is marked unreachable");
        await AwaitCondition.UntilAsync(async () =>
        {
            var (first, second) = (await ViewAsync(0), await ViewAsync(1));
            return new[] { first, second }.All(v => v.Members.Count == 2 && v.Unreachable.Count == 0 && v.Members.All(m => m.Address != killed));
        }, Deadline, "the split-brain resolver removes the killed node");

        // SIGTERM: CoordinatedShutdown leaves the cluster, so the last node sees it removed, never unreachable.
        var stopped = views[1].Self;
        Assert.Equal(0, await _nodes.Engines[1].StopAsync(Deadline));
        var last = await ViewAsync(0);
        Assert.DoesNotContain(stopped, last.Unreachable);
        await AwaitCondition.UntilAsync(async () => (await ViewAsync(0)).Members.Select(m => m.Address).SequenceEqual([views[0].Self]),
            Deadline, "the stopped node has left");
        // The host stops the engine's own services first (ingest, in-flight sends); the node leaves only after that.
        var output = _nodes.Engines[1].Output;
        var hostStops = output.IndexOf("Application is shutting down", StringComparison.Ordinal);
        var leaves = output.IndexOf("as [Leaving]", StringComparison.Ordinal);
        Assert.True(hostStops >= 0 && leaves > hostStops, $"the node left the cluster before the host stopped its services:\n{output}");
        Assert.Contains("Exiting completed", output, StringComparison.Ordinal);
    }

    private void Start(int port, int seedPort)
    {
        var environment = EngineProcess.PeerEnvironment(peers, peers.SesEndpoint, _nodes.Prefix);
        environment["Engine__Persistence__SqlitePath"] = Path.Combine(_nodes.Directory, $"node-{port}.db");
        environment["Engine__Ingest__RequestQueues__0__Name"] = $"{_nodes.Prefix}-requests";
        environment["Engine__Throttling__EmailMaxSendRate"] = "0";
        environment["Host__Auth__SigningKey"] = OperatorTokens.Secret;
        EngineProcess.JoinAkkaCluster(environment, port, [seedPort]);
        // Quick to suspect and to decide, so the test need not wait Akka's production pauses (5 s and 20 s).
        environment["AKKA__CLUSTER__FAILURE_DETECTOR__ACCEPTABLE_HEARTBEAT_PAUSE"] = "2s";
        // Long enough for a poll of the views to see the killed node unreachable before the resolver removes it.
        environment["AKKA__CLUSTER__SPLIT_BRAIN_RESOLVER__STABLE_AFTER"] = "8s";
        _nodes.Engines.Add(EngineProcess.Start(typeof(Program).Assembly.Location, environment));
    }

    private async Task<ClusterView> ViewAsync(int node) =>
        await _nodes.Apis[node].GetFromJsonAsync<ClusterView>(new Uri("/cluster", UriKind.Relative)) ?? throw new InvalidOperationException("no cluster view");
}
