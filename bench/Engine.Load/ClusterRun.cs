using System.Diagnostics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Messaging.Load;

/// <summary>
/// 1, 2 and 3 engine processes on one PostgreSQL database and one request queue, no rate limit: throughput and CPU
/// per email in the steady middle of each run (between 20 % and 80 % of the sends), so host start-up, the join wait
/// and the tail are left out. The sends reach the SES peer through a recording proxy, whose arrival times are used.
/// </summary>
internal static class ClusterRun
{
    private const string SendPath = "/v2/email/outbound-emails";

    public static async Task RunAsync(int requests, int[] nodeCounts)
    {
        var peers = new LocalAwsPeers();
        var postgres = new PostgresServer();
        await peers.InitializeAsync();
        await postgres.InitializeAsync();
        try
        {
            Console.WriteLine($"{requests:N0} requests to {requests:N0} recipients per run, PostgreSQL, no rate limit; {Environment.ProcessorCount} cores; {DateTimeOffset.UtcNow:yyyy-MM-dd}");
            Console.WriteLine("| nodes | sends at the provider | recorded | emails/s (steady middle) | CPU ms per 1,000 emails (all nodes) | idle CPU ms/s per node |");
            Console.WriteLine("|---:|---:|---|---:|---:|---:|");
            foreach (var nodes in nodeCounts)
            {
                await RunOnceAsync(peers, postgres, nodes, requests);
            }
        }
        finally
        {
            await postgres.DisposeAsync();
            await peers.DisposeAsync();
        }
    }

    private static async Task RunOnceAsync(LocalAwsPeers peers, PostgresServer postgres, int nodes, int count)
    {
        var prefix = $"k{Guid.NewGuid():N}"[..13];
        var database = await postgres.CreateDatabaseAsync();
        await using var aws = AwsTestServices.Create(sqs: peers.SqsEndpoint);
        var sqs = aws.GetRequiredService<IAmazonSQS>();
        foreach (var queue in new[] { "requests", "dlq", "feedback" })
        {
            await sqs.CreateQueueAsync($"{prefix}-{queue}");
        }

        // Everything is queued before the nodes start: the clock measures the engines, not the producer.
        var url = (await sqs.GetQueueUrlAsync($"{prefix}-requests")).QueueUrl;
        await Parallel.ForEachAsync(Enumerable.Range(0, count).Chunk(SqsMessageViews.MaxBatchSize), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (chunk, ct) =>
        {
            var sent = await sqs.SendMessageBatchAsync(url, chunk.Select(i => new SendMessageBatchRequestEntry(
                $"m{i}", EngineUnderTest.EmailRequest($"{prefix}-{i}", $"user{i}@{prefix}.test"))).ToList(), ct);
            if (sent.Failed is { Count: > 0 } failed)
            {
                throw new InvalidOperationException($"Enqueueing failed: {failed[0].Code} {failed[0].Message}");
            }
        });

        await using var proxy = await HoldingProxy.StartAsync(peers.SesEndpoint);
        var engines = new List<EngineProcess>();
        try
        {
            // One Akka cluster: each node its remoting port, all of them the seed nodes.
            var ports = Enumerable.Range(0, nodes).Select(_ => EngineProcess.FreePort()).ToArray();
            for (var n = 0; n < nodes; n++)
            {
                var environment = EngineProcess.ClusterNodeEnvironment(peers, proxy.Endpoint, prefix, database);
                EngineProcess.JoinAkkaCluster(environment, ports[n], ports);
                environment["Engine__Ingest__RequestQueues__0__Name"] = $"{prefix}-requests";
                // The cluster's concurrency is held at one node's (8 pollers, 400 requests in flight), split between
                // the nodes: the one local SES peer on these 2 cores answers 1,200 concurrent calls so unevenly that
                // some wait past the 15 s request timeout (recorded unknown), which would measure the peer.
                environment["Engine__Ingest__RequestQueues__0__Pollers"] = Math.Max(1, 8 / nodes).ToString(CultureInfo.InvariantCulture);
                environment["Engine__Ingest__RequestQueues__0__MaxInFlight"] = (400 / nodes).ToString(CultureInfo.InvariantCulture);
                environment["Engine__Ingest__VisibilityTimeout"] = "00:01:00";
                environment["Engine__Throttling__EmailMaxSendRate"] = "0";
                environment["Logging__LogLevel__Default"] = "Warning";
                // As a node is deployed (scripts/engine, deploy/kubernetes): hot methods optimised without the runtime's delay.
                environment["DOTNET_TC_CallCountingDelayMs"] = "0";
                engines.Add(EngineProcess.Start(typeof(Messaging.Host.Auth.OperatorRoles).Assembly.Location, environment));
            }

            // CPU and time at 20 % and at 80 % of the sends.
            var marks = new List<(int Sent, long At, TimeSpan Cpu)>();
            var deadline = Stopwatch.StartNew();
            foreach (var fraction in new[] { 0.2, 0.8 })
            {
                var target = (int)(count * fraction);
                while (Sends(proxy) < target)
                {
                    if (deadline.Elapsed > TimeSpan.FromMinutes(10) || engines.Any(e => e.HasExited))
                    {
                        throw new TimeoutException($"{Sends(proxy)} of {count} sent with {nodes} node(s)\n{string.Join("\n", engines.Select(e => e.Output))}");
                    }

                    await Task.Delay(20);
                }

                marks.Add((Sends(proxy), Stopwatch.GetTimestamp(), engines.Aggregate(TimeSpan.Zero, (sum, e) => sum + e.TotalProcessorTime)));
            }

            // Then every request settled (sent, or unknown where a call's answer never came).
            Dictionary<string, long> recorded;
            while ((recorded = await RecordedAsync(database)).Values.Sum() < count && deadline.Elapsed < TimeSpan.FromMinutes(10))
            {
                await Task.Delay(200);
            }

            // What the nodes cost doing nothing (heartbeats, empty long polls, the periodic checks), over 5 s.
            var idleFrom = engines.Aggregate(TimeSpan.Zero, (sum, e) => sum + e.TotalProcessorTime);
            await Task.Delay(TimeSpan.FromSeconds(5));
            var idleMsPerSecondPerNode = (engines.Aggregate(TimeSpan.Zero, (sum, e) => sum + e.TotalProcessorTime) - idleFrom).TotalMilliseconds / 5 / nodes;

            var (from, to) = (marks[0], marks[1]);
            var emails = to.Sent - from.Sent;
            var seconds = Stopwatch.GetElapsedTime(from.At, to.At).TotalSeconds;
            var cpuMs = (to.Cpu - from.Cpu).TotalMilliseconds;
            var statuses = string.Join(", ", recorded.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value:N0}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {nodes} | {Sends(proxy):N0} | {statuses} | {emails / seconds:N0} | {cpuMs / emails * 1000:N0} | {idleMsPerSecondPerNode:N0} |"));
            foreach (var (engine, n) in engines.Select((e, n) => (e, n)))
            {
                var warnings = engine.Output.Split('\n').Where(l => l.StartsWith("warn", StringComparison.Ordinal) || l.StartsWith("fail", StringComparison.Ordinal)).ToList();
                if (warnings.Count > 0)
                {
                    Console.Error.WriteLine($"node-{n}: {warnings.Count} warning(s); first: {engine.Output.Split('\n').SkipWhile(l => !l.StartsWith("warn", StringComparison.Ordinal) && !l.StartsWith("fail", StringComparison.Ordinal)).Take(3).Aggregate("", (a, b) => a + "\n  " + b)}");
                }
            }
        }
        finally
        {
            foreach (var engine in engines)
            {
                await engine.DisposeAsync();
            }

            NpgsqlConnection.ClearAllPools();
        }
    }

    private static int Sends(HoldingProxy proxy) => proxy.Forwarded.Count(f => f.Path == SendPath && f.Status == 200);

    private static async Task<Dictionary<string, long>> RecordedAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT status, COUNT(*) FROM messages WHERE status <> 'accepted' GROUP BY status", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<string, long>();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }
}
