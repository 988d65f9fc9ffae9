using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Messaging.Host.Tests.Cluster;

/// <summary>Runs alone: three engine processes, PostgreSQL and the peers already fill the machine's 2 cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterProcessCollection
{
    public const string Name = "Cluster processes";
}

/// <summary>
/// Three engine processes on one PostgreSQL database and the same SQS queues, configured as an operator would
/// (environment variables), sending through a proxy in front of the SES peer that notes when each send arrives.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed partial class ClusterProcessTests(LocalAwsPeers peers, PostgresServer postgres)
    : IClassFixture<LocalAwsPeers>, IClassFixture<PostgresServer>, IAsyncLifetime
{
    private const int AccountRate = 150;
    private const string SendPath = "/v2/email/outbound-emails";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(240);
    private static readonly string[] Nodes = ["a", "b", "c"];
    private readonly string _prefix = $"c{Guid.NewGuid():N}"[..13];
    private readonly List<EngineProcess> _engines = [];

    /// <summary>Each node's Akka remoting port, kept across its restarts; every node lists all three as seed nodes.</summary>
    private readonly int[] _remotingPorts = Nodes.Select(_ => EngineProcess.FreePort()).ToArray();
    private ServiceProvider _aws = null!;
    private HoldingProxy _proxy = null!;
    private string _database = "";

    private IAmazonSQS Sqs => _aws.GetRequiredService<IAmazonSQS>();

    private string SharedQueue => $"{_prefix}-requests";

    private static string PrivateQueue(string prefix, string node) => $"{prefix}-node-{node}";

    public async Task InitializeAsync()
    {
        _aws = AwsTestServices.Create(sqs: peers.SqsEndpoint);
        foreach (var queue in Nodes.Select(n => PrivateQueue(_prefix, n)).Append(SharedQueue).Append($"{_prefix}-dlq").Append($"{_prefix}-feedback"))
        {
            await Sqs.CreateQueueAsync(queue);
        }

        _proxy = await HoldingProxy.StartAsync(peers.SesEndpoint);
        _database = await postgres.CreateDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }

        await _proxy.DisposeAsync();
        await _aws.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
    }

    [Fact]
    public async Task Three_nodes_send_each_distinct_message_id_once_with_duplicates_on_different_nodes_and_hold_the_account_rate()
    {
        // 3,000 distinct requests on the shared queue, and 1,000 message ids sent twice, each copy on the private
        // queue of a different node: 5,000 requests, 20 % duplicates. One in ten of each goes to one of 5 hot
        // recipients (100 messages each).
        var distinct = new List<(string Id, string To)>();
        await EnqueueAsync(SharedQueue, Enumerable.Range(0, 3_000).Select(i => Request($"u-{i}", i, distinct)));
        var duplicated = Enumerable.Range(0, 1_000).Select(i => (Index: i, Body: Request($"d-{i}", i, distinct))).ToList();
        for (var n = 0; n < Nodes.Length; n++)
        {
            var first = duplicated.Where(d => d.Index % 3 == n).Select(d => d.Body);
            var second = duplicated.Where(d => (d.Index + 1) % 3 == n).Select(d => d.Body);
            await EnqueueAsync(PrivateQueue(_prefix, Nodes[n]), first.Concat(second));
        }

        // One node starts alone at the whole rate; the other two join under load.
        StartNode("a");
        await AwaitCondition.UntilAsync(() => Task.FromResult(Sends().Count >= 300), Deadline, "the first node sends");
        StartNode("b");
        StartNode("c");
        await AwaitCondition.UntilAsync(async () => await LiveNodesAsync() == 3, Deadline, "three nodes are live");

        await AwaitDrainedAsync(distinct.Count);

        var sends = Sends();
        var perId = sends.GroupBy(MessageIdOf).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(4_000, distinct.Count);
        var twice = perId.Where(p => p.Value > 1).Select(p => $"{p.Key}×{p.Value}").ToList();
        Assert.True(twice.Count == 0, $"sent more than once: {string.Join(", ", twice.Take(20))}");
        var neverSent = distinct.Select(d => d.Id).Where(id => !perId.ContainsKey(id)).ToList();
        Assert.True(neverSent.Count == 0, $"never sent: {string.Join(", ", neverSent.Take(20))}\n{await HistoryAsync(neverSent.Take(3))}");
        Assert.Equal(4_000, sends.Count);

        var statuses = await StatusesAsync();
        Assert.Equal(4_000, statuses.Count);
        await AssertAllSentAsync(statuses);
        AssertNoWindowAboveTheAccountRate(sends, expectedAtLeast: 4_000);
        await AssertQueueEmptyAsync($"{_prefix}-dlq");

        // The hot recipients did not hold the others back: the first half of the sends carries non-hot messages in
        // about their share of the whole (90 %), not a backlog left behind the hot ones.
        var firstHalf = sends.OrderBy(s => s.ArrivedAt).Take(sends.Count / 2).ToList();
        var notHot = firstHalf.Count(s => !RecipientOf(s).StartsWith("hot", StringComparison.Ordinal));
        Assert.True(notHot >= firstHalf.Count * 8 / 10, $"only {notHot} of the first {firstHalf.Count} sends were to the 3,500 other recipients");
    }

    [Fact]
    public async Task A_node_killed_mid_run_leaves_every_other_message_sent_exactly_once_and_the_interrupted_ones_recorded_unknown()
    {
        foreach (var node in Nodes)
        {
            StartNode(node);
        }

        await AwaitCondition.UntilAsync(async () => await LiveNodesAsync() == 3, Deadline, "three nodes are live");

        // 2,500 distinct message ids; 500 of them sent twice in a row; 10 % to hot recipients.
        var distinct = new List<(string Id, string To)>();
        var bodies = new List<string>();
        for (var i = 0; i < 2_500; i++)
        {
            bodies.Add(Request($"k-{i}", i, distinct));
            if (i % 5 == 0)
            {
                bodies.Add(bodies[^1]);
            }
        }

        await EnqueueAsync(SharedQueue, bodies);
        await AwaitCondition.UntilAsync(() => Task.FromResult(Sends().Count >= 800), Deadline, "a third is sent");
        await _engines[1].KillHardAsync();

        await AwaitDrainedAsync(distinct.Count);

        var sends = Sends();
        var perId = sends.GroupBy(MessageIdOf).ToDictionary(g => g.Key, g => g.Count());
        var statuses = await StatusesAsync();
        Assert.Equal(2_500, statuses.Count);
        var twice = perId.Where(p => p.Value > 1).Select(p => $"{p.Key}×{p.Value}").ToList();
        Assert.True(twice.Count == 0, $"sent more than once: {string.Join(", ", twice.Take(20))}");

        // A send whose intent was durable when the node died may or may not have reached the provider; by default
        // it is not tried again (DESIGN §4) but recorded unknown. Everything else is sent, exactly once.
        var unknown = statuses.Where(s => s.Value == "unknown").Select(s => s.Key).ToHashSet();
        Assert.All(statuses.Where(s => !unknown.Contains(s.Key)), s => Assert.Equal("sent", s.Value));
        var lost = distinct.Select(d => d.Id).Where(id => !unknown.Contains(id) && !perId.ContainsKey(id)).ToList();
        Assert.True(lost.Count == 0, $"recorded sent but never reached the provider: {string.Join(", ", lost.Take(20))}");
        // In flight on the killed node: its intents are durable before the call waits for room in its 1-second window
        // (SendGate), so up to a second of its share of the rate, plus the calls on the wire.
        var inFlightBound = AccountRate / Nodes.Length + 10;
        Assert.True(unknown.Count <= inFlightBound,
            $"{unknown.Count} sends recorded unknown; only those in flight on the killed node can be (at most {inFlightBound})\n{await HistoryAsync(unknown.Take(30))}");
        AssertNoWindowAboveTheAccountRate(sends, expectedAtLeast: distinct.Count - unknown.Count);
        await AssertQueueEmptyAsync($"{_prefix}-dlq");
    }

    [Fact]
    public async Task A_node_stalled_until_the_others_removed_it_puts_no_second_above_the_account_rate_and_sends_nothing_twice()
    {
        foreach (var node in Nodes)
        {
            StartNode(node);
        }

        await AwaitCondition.UntilAsync(async () => await LiveNodesAsync() == 3, Deadline, "three nodes are live");
        var distinct = new List<(string Id, string To)>();
        await EnqueueAsync(SharedQueue, Enumerable.Range(0, 4_000).Select(i => Request($"s-{i}", i, distinct)));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Sends().Count >= 600), Deadline, "the nodes send");

        // Node b stands still mid-send (a VM paused, a long GC) until the others have downed and removed it and taken
        // its share of the rate; then it runs again, with sends that were waiting for their slot and calls it made.
        var stalled = _engines[1];
        await stalled.StallAsync(true);
        await AwaitCondition.UntilAsync(async () => await MembersUpAsync(_engines[0]) == 2 && await MembersUpAsync(_engines[2]) == 2,
            Deadline, "the others remove the stalled node");
        var sentWhileStalled = Sends().Count;
        await stalled.StallAsync(false);

        await AwaitDrainedAsync(distinct.Count);
        // Downed while it stood still, it learns so and stops (its supervisor starts it again as a new node).
        await stalled.ExitedAsync(Deadline);

        var sends = await AssertEachSentOnceOrUnknownWhileInFlightAsync(distinct.Count, "the stalled node");
        Assert.True(sends.Count > sentWhileStalled, "nothing was sent after the stalled node ran again");
    }

    [Fact]
    public async Task A_node_cut_off_from_the_others_stops_while_they_go_on_with_no_second_above_the_account_rate_and_nothing_sent_twice()
    {
        await using var relays = new RemotingRelays(Nodes.Length);
        foreach (var node in Nodes)
        {
            StartNode(node, relays);
        }

        await AwaitCondition.UntilAsync(async () => await LiveNodesAsync() == 3, Deadline, "three nodes are live");
        var distinct = new List<(string Id, string To)>();
        await EnqueueAsync(SharedQueue, Enumerable.Range(0, 4_000).Select(i => Request($"p-{i}", i, distinct)));
        await AwaitCondition.UntilAsync(() => Task.FromResult(Sends().Count >= 600), Deadline, "the nodes send");

        // Node c loses the network to a and b, both ways, mid-send (its database and SQS stay reachable). Each side
        // sees the other unreachable; the split-brain resolver keeps the majority: a and b down c, and c downs itself.
        relays.Partition([2]);
        var cutOff = _engines[2];
        await AwaitCondition.UntilAsync(async () => await MembersUpAsync(_engines[0]) == 2 && await MembersUpAsync(_engines[1]) == 2,
            Deadline, "the majority removes the cut-off node");
        await cutOff.ExitedAsync(Deadline);
        Assert.True(relays.Cut > 0, "no link between the sides was cut");

        await AwaitDrainedAsync(distinct.Count);
        await AssertEachSentOnceOrUnknownWhileInFlightAsync(distinct.Count, "the cut-off node");
    }

    [Fact]
    public async Task A_rolling_restart_under_load_loses_nothing_and_sends_nothing_twice()
    {
        var distinct = new List<(string Id, string To)>();
        // 100 s of sending at the account rate: each restart stops the node (its shards handed off, its share given
        // back, its Akka node leaving) and starts it again (joined, Up, a quiet second), and the three restarts must
        // still happen while there is sending left to do. Queued before the nodes start, so the producer does not
        // compete with the proxy in this process while they send.
        await EnqueueAsync(SharedQueue, Enumerable.Range(0, 15_000).Select(i => Request($"r-{i}", i, distinct)));
        foreach (var node in Nodes)
        {
            StartNode(node);
        }

        await AwaitCondition.UntilAsync(async () => await LiveNodesAsync() == 3, Deadline, "three nodes are live");
        await AwaitCondition.UntilAsync(() => Task.FromResult(Sends().Count >= 300), Deadline, "the nodes send");

        // As a deployment does it: each node in turn is stopped (SIGTERM), started again and back in the cluster
        // before the next goes, while the rest keep sending.
        var restarted = new List<(string Node, int ExitCode, int SentBefore)>();
        foreach (var (node, index) in Nodes.Select((n, i) => (n, i)))
        {
            var sentBefore = Sends().Count;
            var exitCode = await _engines[index].StopAsync(TimeSpan.FromSeconds(60));
            restarted.Add((node, exitCode, sentBefore));
            StartNode(node);
            await AwaitCondition.UntilAsync(async () => await LiveNodesAsync() == 3, Deadline, $"node {node} is back");
        }

        var stillToSend = distinct.Count - Sends().Count;
        await AwaitDrainedAsync(distinct.Count);

        Assert.All(restarted, r => Assert.Equal(0, r.ExitCode));
        Assert.True(stillToSend > 0, "the restarts finished only after everything was sent: they were not under load");
        var sends = Sends();
        var perId = sends.GroupBy(MessageIdOf).ToDictionary(g => g.Key, g => g.Count());
        var twice = perId.Where(p => p.Value > 1).Select(p => $"{p.Key}×{p.Value}").ToList();
        Assert.True(twice.Count == 0, $"sent more than once: {string.Join(", ", twice.Take(20))}");
        var neverSent = distinct.Select(d => d.Id).Where(id => !perId.ContainsKey(id)).ToList();
        Assert.True(neverSent.Count == 0, $"never sent: {string.Join(", ", neverSent.Take(20))}\n{await HistoryAsync(neverSent.Take(3))}");
        // A graceful stop finishes its sends: nothing is left unknown.
        var statuses = await StatusesAsync();
        Assert.Equal(15_000, statuses.Count);
        await AssertAllSentAsync(statuses);
        AssertNoWindowAboveTheAccountRate(sends, expectedAtLeast: 15_000);
        await AssertQueueEmptyAsync($"{_prefix}-dlq");
    }

    [Fact]
    public async Task A_suppression_made_through_one_node_is_honoured_at_once_by_another_that_already_hosts_the_recipient()
    {
        StartNode("a");
        StartNode("b");
        await AwaitCondition.UntilAsync(async () => await LiveNodesAsync() == 2, Deadline, "two nodes are live");
        var address = $"stop@{_prefix}.test";

        // Node b sends to the recipient first, so its actor is live there, with the recipient unsuppressed in memory.
        await EnqueueAsync(PrivateQueue(_prefix, "b"), [EngineUnderTest.EmailRequest("before", address)]);
        await AwaitCondition.UntilAsync(async () => (await StatusesAsync()).GetValueOrDefault("before") == "sent", Deadline, "the first message is sent");

        using var api = new HttpClient { BaseAddress = await _engines[0].ListeningAtAsync(Deadline) };
        api.DefaultRequestHeaders.Authorization = new("Bearer", OperatorTokens.Hs256("operator"));
        using var suppressed = await api.PutAsJsonAsync($"/recipients/email/{address}/suppression", new { reason = "asked by phone" });
        Assert.True(suppressed.IsSuccessStatusCode, await suppressed.Content.ReadAsStringAsync());

        await EnqueueAsync(PrivateQueue(_prefix, "b"), [EngineUnderTest.EmailRequest("after", address)]);
        await AwaitCondition.UntilAsync(async () => (await StatusesAsync()).GetValueOrDefault("after") is { } status && status != "accepted",
            Deadline, "the second message is decided");

        Assert.Equal("suppressed", (await StatusesAsync())["after"]);
        Assert.Single(Sends(), s => RecipientOf(s) == address);
    }

    /// <summary>
    /// After a node was lost mid-send: no message id sent twice, every request sent or — only those in flight on
    /// <paramref name="lostNode"/> — unknown, no provider second above the account rate, nothing dead-lettered.
    /// </summary>
    private async Task<List<ForwardedRequest>> AssertEachSentOnceOrUnknownWhileInFlightAsync(int requests, string lostNode)
    {
        var sends = Sends();
        var perId = sends.GroupBy(MessageIdOf).ToDictionary(g => g.Key, g => g.Count());
        var twice = perId.Where(p => p.Value > 1).Select(p => $"{p.Key}×{p.Value}").ToList();
        Assert.True(twice.Count == 0, $"sent more than once: {string.Join(", ", twice.Take(20))}");
        var statuses = await StatusesAsync();
        Assert.Equal(requests, statuses.Count);
        var unknown = statuses.Where(s => s.Value == "unknown").Select(s => s.Key).ToHashSet();
        Assert.All(statuses.Where(s => !unknown.Contains(s.Key)), s => Assert.Equal("sent", s.Value));
        var inFlightBound = AccountRate / Nodes.Length + 10;
        Assert.True(unknown.Count <= inFlightBound,
            $"{unknown.Count} sends recorded unknown; only those in flight on {lostNode} can be (at most {inFlightBound})\n{await HistoryAsync(unknown.Take(30))}");
        AssertNoWindowAboveTheAccountRate(sends, expectedAtLeast: requests - unknown.Count);
        await AssertQueueEmptyAsync($"{_prefix}-dlq");
        return sends;
    }

    private static string Request(string messageId, int index, List<(string Id, string To)> distinct)
    {
        var to = index % 10 == 0 ? $"hot{index / 10 % 5}@cluster.test" : $"{messageId}@cluster.test";
        distinct.Add((messageId, to));
        return EngineUnderTest.EmailRequest(messageId, to);
    }

    private void StartNode(string node, RemotingRelays? relays = null)
    {
        var privateQueue = PrivateQueue(_prefix, node);
        var environment = EngineProcess.ClusterNodeEnvironment(peers, _proxy.Endpoint, _prefix, _database);
        environment["Engine__Ingest__RequestQueues__0__Name"] = SharedQueue;
        environment["Engine__Ingest__RequestQueues__1__Name"] = privateQueue;
        environment["Engine__Throttling__EmailMaxSendRate"] = AccountRate.ToString(CultureInfo.InvariantCulture);
        // One Akka cluster of the three processes, as an operator configures it: fixed remoting ports, the same seeds
        // on every node, and the split-brain resolver deciding about a killed node within the test's patience.
        var index = Array.IndexOf(Nodes, node);
        if (relays is null)
        {
            EngineProcess.JoinAkkaCluster(environment, _remotingPorts[index], _remotingPorts);
        }
        else
        {
            // Bound behind the node's relay; the others are told the relay's port (Akka's public-port).
            EngineProcess.JoinAkkaCluster(environment, relays.BindPorts[index], relays.PublicPorts);
            environment["AKKA__REMOTE__DOT_NETTY__TCP__PUBLIC_PORT"] = relays.PublicPorts[index].ToString(CultureInfo.InvariantCulture);
        }

        environment["AKKA__CLUSTER__SPLIT_BRAIN_RESOLVER__STABLE_AFTER"] = "5s";
        environment["Logging__LogLevel__Default"] = "Warning";
        environment["Logging__LogLevel__Messaging.Engine.Cluster"] = "Information";
        // For the cluster view each node is asked for: where it listens, and a key for the test's reader token.
        environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        environment["Host__Auth__SigningKey"] = OperatorTokens.Secret;
        environment["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ";
        environment["Logging__Console__UseUtcTimestamp"] = "true";
        environment["Logging__LogLevel__Messaging.Engine.Throttling.SendGate"] = "Debug";
        _engines.Add(EngineProcess.Start(typeof(Program).Assembly.Location, environment));
    }

    private async Task EnqueueAsync(string queue, IEnumerable<string> bodies)
    {
        var url = (await Sqs.GetQueueUrlAsync(queue)).QueueUrl;
        // Four batches in flight: one at a time, the producer on a busy machine fell behind three sending nodes,
        // and a test "under load" found the queue drained before its restarts.
        await Parallel.ForEachAsync(bodies.Chunk(10), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, ct) =>
        {
            var sent = await Sqs.SendMessageBatchAsync(url, chunk.Select((b, i) => new SendMessageBatchRequestEntry($"e{i}", b)).ToList(), ct);
            Assert.Empty(sent.Failed ?? []);
        });
    }

    /// <summary>Every request has a settled outcome in the shared database and every request queue is empty.</summary>
    private async Task AwaitDrainedAsync(int distinct)
    {
        try
        {
            await AwaitCondition.UntilAsync(async () =>
            {
                var statuses = await StatusesAsync();
                if (statuses.Count < distinct || statuses.Values.Any(s => s is not ("sent" or "unknown")))
                {
                    return false;
                }

                foreach (var queue in Nodes.Select(n => PrivateQueue(_prefix, n)).Append(SharedQueue))
                {
                    if (!await QueueEmptyAsync(queue))
                    {
                        return false;
                    }
                }

                return true;
            }, Deadline, $"all {distinct} message ids are settled and the queues are empty");
        }
        catch (TimeoutException e)
        {
            var statuses = await StatusesAsync();
            var summary = string.Join(", ", statuses.GroupBy(s => s.Value).Select(g => $"{g.Key}: {g.Count()}"));
            var output = string.Join("\n", _engines.Select((engine, i) => $"--- engine {i}:\n{Tail(engine.Output)}"));
            throw new TimeoutException($"{e.Message}\nstatuses: {summary}; sends: {Sends().Count}\n{output}", e);
        }
    }

    private async Task AssertAllSentAsync(Dictionary<string, string> statuses)
    {
        var notSent = statuses.Where(s => s.Value != "sent").Select(s => $"{s.Key}: {s.Value}").ToList();
        Assert.True(notSent.Count == 0,
            $"not sent: {string.Join(", ", notSent.Take(20))}\n{await HistoryAsync(notSent.Take(3).Select(n => n.Split(':')[0]))}");
    }

    /// <summary>For a failure message: what the proxy, the journal and the nodes' output say about these ids.</summary>
    private async Task<string> HistoryAsync(IEnumerable<string> messageIds)
    {
        var history = new System.Text.StringBuilder();
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        foreach (var id in messageIds)
        {
            var forwarded = _proxy.Forwarded.Where(f => f.Body.Contains($"\"{id}\"", StringComparison.Ordinal));
            history.AppendLine(CultureInfo.InvariantCulture, $"{id}: proxy saw {string.Join(", ", forwarded.Select(f => $"{f.Path} {f.Status} at {f.ArrivedAt:HH:mm:ss.fff}"))}");
            await using var command = new NpgsqlCommand(
                "SELECT persistence_id, sequence_nr, manifest, convert_from(payload, 'UTF8') FROM event_journal WHERE convert_from(payload, 'UTF8') LIKE @id ORDER BY sequence_nr", connection);
            command.Parameters.AddWithValue("id", $"%\"{id}\"%");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                history.AppendLine(CultureInfo.InvariantCulture, $"  {reader.GetString(0)} #{reader.GetInt64(1)} {reader.GetString(2)} {reader.GetString(3)}");
            }

            foreach (var (engine, n) in _engines.Select((e, n) => (e, n)))
            {
                foreach (var line in engine.Output.Split('\n').Where(l => l.Contains(id, StringComparison.Ordinal)))
                {
                    history.AppendLine(CultureInfo.InvariantCulture, $"  engine {n}: {line}");
                }
            }
        }

        return history.ToString();
    }

    /// <summary>The end of a node's output without its one-line-per-send debug records, which would fill it.</summary>
    private static string Tail(string output)
    {
        var lines = output.Split('\n');
        var kept = string.Join('\n', lines.Where((line, i) => !line.Contains("A send entered", StringComparison.Ordinal)
            && !(line.Contains("SendGate", StringComparison.Ordinal) && i + 1 < lines.Length && lines[i + 1].Contains("A send entered", StringComparison.Ordinal))));
        return kept.Length <= 8_000 ? kept : kept[^8_000..];
    }

    private List<ForwardedRequest> Sends() =>
        _proxy.Forwarded.Where(f => f.Path == SendPath && f.Status == 200).ToList();

    private static string MessageIdOf(ForwardedRequest send)
    {
        using var json = JsonDocument.Parse(send.Body);
        return json.RootElement.GetProperty("Content").GetProperty("Simple").GetProperty("Headers").EnumerateArray()
            .Single(h => h.GetProperty("Name").GetString() == "X-Correlation-ID").GetProperty("Value").GetString()!;
    }

    private static string RecipientOf(ForwardedRequest send)
    {
        using var json = JsonDocument.Parse(send.Body);
        return json.RootElement.GetProperty("Destination").GetProperty("ToAddresses")[0].GetString()!;
    }

    /// <summary>
    /// No 1-second window of the provider's clock — when each send arrived at the proxy in front of the SES peer, over
    /// every node's sends — holds more than the account rate. What the nodes logged as each call's start (their clocks,
    /// all this machine's) says, when it fails, which node sent how many around that second.
    /// </summary>
    private void AssertNoWindowAboveTheAccountRate(List<ForwardedRequest> sends, int expectedAtLeast)
    {
        Assert.True(sends.Count >= expectedAtLeast, $"the provider saw {sends.Count} sends, fewer than {expectedAtLeast}");
        var (busiest, from) = BusiestSecond(sends.Select(s => s.ArrivedAt).ToList());
        if (busiest > AccountRate)
        {
            var started = _engines.SelectMany((e, node) => WindowEntry().Matches(e.Output).Select(m => (Node: node,
                    At: DateTimeOffset.UnixEpoch.AddTicks(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * TimeSpan.TicksPerMicrosecond))))
                .ToList();
            var byNode = started.Where(e => e.At >= from.AddSeconds(-0.5) && e.At < from.AddSeconds(1)).GroupBy(e => e.Node)
                .Select(g => $"process {g.Key}: {g.Count()}");
            var (atNodes, nodesFrom) = BusiestSecond(started.Select(e => e.At).ToList());
            var cluster = _engines.Select((e, node) => $"process {node}:\n" + string.Join("\n",
                e.Output.Split('\n').Where(l => l.Contains("node(s)", StringComparison.Ordinal) || l.Contains("cluster", StringComparison.Ordinal))));
            Assert.Fail($"the provider's 1-second window from {from:HH:mm:ss.fff} held {busiest} sends; the account rate is {AccountRate}. " +
                $"Calls started from half a second before it: {string.Join(", ", byNode)}; busiest second by the nodes' clocks: {atNodes} " +
                $"from {nodesFrom:HH:mm:ss.fff}\n{string.Join("\n", cluster)}");
        }
    }

    private static (int Count, DateTimeOffset From) BusiestSecond(List<DateTimeOffset> times)
    {
        var at = times.Order().ToList();
        var busiest = (Count: 0, From: DateTimeOffset.MinValue);
        for (int start = 0, end = 0; start < at.Count; start++)
        {
            while (end < at.Count && at[end] < at[start].AddSeconds(1))
            {
                end++;
            }

            if (end - start > busiest.Count)
            {
                busiest = (end - start, at[start]);
            }
        }

        return busiest;
    }

    [GeneratedRegex(@"A send entered the email window at (\d+)")]
    private static partial Regex WindowEntry();

    private async Task<Dictionary<string, string>> StatusesAsync()
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT message_id, status FROM messages", connection);
        var statuses = new Dictionary<string, string>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                statuses[reader.GetString(0)] = reader.GetString(1);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No node has migrated the schema yet.
        }

        return statuses;
    }

    /// <summary>
    /// The nodes every running engine sees Up in its Akka cluster (its <c>GET /cluster</c>, as an operator asks it); 0
    /// while any running engine does not answer yet or still holds its sends (joining, or waiting its quiet second).
    /// </summary>
    private async Task<int> LiveNodesAsync()
    {
        var fewest = int.MaxValue;
        foreach (var engine in _engines.Where(e => !e.HasExited))
        {
            var output = engine.Output;
            if (output.LastIndexOf(SendingAtShare, StringComparison.Ordinal) is var sending && (sending < 0 || sending < output.LastIndexOf(Holding, StringComparison.Ordinal)))
            {
                return 0;
            }

            fewest = Math.Min(fewest, await MembersUpAsync(engine));
        }

        return fewest == int.MaxValue ? 0 : fewest;
    }

    /// <summary>How many members <paramref name="engine"/>'s cluster view shows Up.</summary>
    private async Task<int> MembersUpAsync(EngineProcess engine)
    {
        using var api = new HttpClient { BaseAddress = await engine.ListeningAtAsync(Deadline), Timeout = TimeSpan.FromSeconds(10) };
        api.DefaultRequestHeaders.Authorization = new("Bearer", OperatorTokens.Hs256("reader"));
        using var answer = await api.GetAsync("/cluster");
        if (!answer.IsSuccessStatusCode)
        {
            return 0;
        }

        using var view = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        return view.RootElement.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "up");
    }

    private const string SendingAtShare = "sends at its share of the rates";
    private const string Holding = "holds its sends";

    private async Task<bool> QueueEmptyAsync(string queue)
    {
        var url = (await Sqs.GetQueueUrlAsync(queue)).QueueUrl;
        var depth = (await Sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        return depth.Values.All(v => v == "0");
    }

    /// <summary>Fails, naming what is there and why, when <paramref name="queue"/> (a dead-letter queue) holds anything.</summary>
    private async Task AssertQueueEmptyAsync(string queue)
    {
        static string RequestIdOf(string body)
        {
            try
            {
                using var request = JsonDocument.Parse(body);
                return request.RootElement.TryGetProperty("messageId", out var id) ? id.GetString() ?? "?" : "?";
            }
            catch (JsonException)
            {
                return "?";
            }
        }

        if (await QueueEmptyAsync(queue))
        {
            return;
        }

        var url = (await Sqs.GetQueueUrlAsync(queue)).QueueUrl;
        var held = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 10, MessageAttributeNames = ["All"], WaitTimeSeconds = 1 });
        var entries = (held.Messages ?? []).Select(m => (
            Id: m.MessageAttributes?.GetValueOrDefault(DeadLetterWriter.MessageIdAttribute)?.StringValue ?? RequestIdOf(m.Body),
            Error: m.MessageAttributes?.GetValueOrDefault(DeadLetterWriter.ErrorAttribute)?.StringValue ?? "(no reason: moved by SQS's redrive policy)",
            Body: m.Body)).ToList();
        Assert.Fail($"{queue} is not empty:\n{string.Join("\n", entries.Select(e => $"{e.Id}: {e.Error}\n  {e.Body}"))}\n" +
            await HistoryAsync(entries.Select(e => e.Id).Where(id => id != "?").Take(3)));
    }
}
