using System.Net.Http.Json;
using Amazon.SQS;
using Messaging.Engine.Membership;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Cluster;

/// <summary>
/// Three engine processes given the same seed node, each on its own SQLite database, form one Akka cluster; what each
/// sees is read from its operator API (<c>GET /cluster</c>).
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class AkkaClusterTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private readonly string _prefix = $"k{Guid.NewGuid():N}"[..13];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-akka-cluster-{Guid.NewGuid():N}");
    private readonly List<EngineProcess> _engines = [];
    private readonly List<HttpClient> _apis = [];
    private ServiceProvider _aws = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _aws = AwsTestServices.Create(sqs: peers.SqsEndpoint);
        await EngineQueues.CreateAsync(_aws.GetRequiredService<IAmazonSQS>(), _prefix);
    }

    public async Task DisposeAsync()
    {
        foreach (var api in _apis)
        {
            api.Dispose();
        }

        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }

        await _aws.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Three_nodes_with_one_seed_form_one_cluster_a_killed_node_is_downed_and_a_stopped_node_leaves()
    {
        int[] ports = [EngineProcess.FreePort(), EngineProcess.FreePort(), EngineProcess.FreePort()];
        foreach (var port in ports)
        {
            Start(port, seedPort: ports[0]);
        }

        foreach (var engine in _engines)
        {
            var api = new HttpClient { BaseAddress = await engine.ListeningAtAsync(Deadline) };
            api.DefaultRequestHeaders.Authorization = new("Bearer", OperatorTokens.Hs256("reader"));
            _apis.Add(api);
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
        await _engines[2].KillHardAsync();
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
        Assert.Equal(0, await _engines[1].StopAsync(Deadline));
        var last = await ViewAsync(0);
        Assert.DoesNotContain(stopped, last.Unreachable);
        await AwaitCondition.UntilAsync(async () => (await ViewAsync(0)).Members.Select(m => m.Address).SequenceEqual([views[0].Self]),
            Deadline, "the stopped node has left");
        // The host stops the engine's own services first (ingest, in-flight sends); the node leaves only after that.
        var output = _engines[1].Output;
        var hostStops = output.IndexOf("Application is shutting down", StringComparison.Ordinal);
        var leaves = output.IndexOf("as [Leaving]", StringComparison.Ordinal);
        Assert.True(hostStops >= 0 && leaves > hostStops, $"the node left the cluster before the host stopped its services:\n{output}");
        Assert.Contains("Exiting completed", output, StringComparison.Ordinal);
    }

    private void Start(int port, int seedPort)
    {
        var environment = EngineProcess.PeerEnvironment(peers, peers.SesEndpoint, _prefix);
        environment["Engine__Persistence__SqlitePath"] = Path.Combine(_directory, $"node-{port}.db");
        environment["Engine__Ingest__RequestQueues__0__Name"] = $"{_prefix}-requests";
        environment["Engine__Throttling__EmailMaxSendRate"] = "0";
        environment["Host__Auth__SigningKey"] = OperatorTokens.Secret;
        EngineProcess.JoinAkkaCluster(environment, port, [seedPort]);
        // Quick to suspect and to decide, so the test need not wait Akka's production pauses (5 s and 20 s).
        environment["AKKA__CLUSTER__FAILURE_DETECTOR__ACCEPTABLE_HEARTBEAT_PAUSE"] = "2s";
        // Long enough for a poll of the views to see the killed node unreachable before the resolver removes it.
        environment["AKKA__CLUSTER__SPLIT_BRAIN_RESOLVER__STABLE_AFTER"] = "8s";
        _engines.Add(EngineProcess.Start(typeof(Program).Assembly.Location, environment));
    }

    private async Task<ClusterView> ViewAsync(int node) =>
        await _apis[node].GetFromJsonAsync<ClusterView>(new Uri("/cluster", UriKind.Relative)) ?? throw new InvalidOperationException("no cluster view");
}
