using System.Diagnostics;
using System.Globalization;
using Messaging.Testing;

// dotnet run -c Release --project bench/Engine.Load -- [requests]
// Two scenarios, each with a fresh engine (SQLite) and fresh queues on the local peers:
//   instant: the SES peer answers as fast as it can, no rate limit  → capacity
//   paced:   100 ms added to every SES call, a 500/s limit           → rate adherence
// dotnet run -c Release --project bench/Engine.Load -- cluster [requests] [node counts, default 1,2,3]
//   1, 2 and 3 engine processes on one PostgreSQL database: throughput and CPU per email (ClusterRun).
// dotnet run -c Release --project bench/Engine.Load -- compare [--scenarios a,b,c,e] [--stores sqlite,postgres] [--scale 1]
//   the engine beside the usual Node worker (bench/node-peer) on the same queue peer and provider simulator (CompareRun);
//   ./bench/run.sh installs what it needs and runs this.
if (args.Length > 0 && args[0] == "compare")
{
    await Messaging.Load.CompareRun.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "cluster")
{
    await Messaging.Load.ClusterRun.RunAsync(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000,
        args.Length > 2 ? args[2].Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray() : [1, 2, 3]);
    return;
}

var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5_000;
var peers = new LocalAwsPeers();
await peers.InitializeAsync();
try
{
    Console.WriteLine($"{requests:N0} requests to {requests:N0} recipients per scenario; {Environment.ProcessorCount} cores; {DateTimeOffset.UtcNow:yyyy-MM-dd}");
    Console.WriteLine("| scenario | sent | seconds | emails/s | achieved ÷ limit | busiest 1-s window | CPU ms per 1,000 |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
    await RunAsync("instant provider, no limit", requests, limit: null, latency: TimeSpan.Zero);
    await RunAsync("100 ms provider, 500/s limit", requests, limit: 500, latency: TimeSpan.FromMilliseconds(100));
}
finally
{
    await peers.DisposeAsync();
}

async Task RunAsync(string name, int count, double? limit, TimeSpan latency)
{
    var faults = new ProviderFaults { Latency = latency };
    var settings = new Dictionary<string, string?>
    {
        ["Engine:Throttling:EmailMaxSendRate"] = (limit ?? 0).ToString(CultureInfo.InvariantCulture),
        ["Engine:Ingest:RequestQueues:0:Pollers"] = "8",
        ["Engine:Ingest:RequestQueues:0:MaxInFlight"] = "400",
        ["Engine:Ingest:Enabled"] = "false",
    };
    // Enqueue everything first with the source off, then start taking: the clock measures the engine, not the producer.
    await using var loader = await EngineUnderTest.StartAsync(peers, settings);
    await loader.EnqueueAsync(Enumerable.Range(0, count).Select(i => EngineUnderTest.EmailRequest($"load-{i}", loader.Address($"user{i}"))));
    await loader.StopAsync();

    settings["Engine:Ingest:Enabled"] = "true";
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    await using var engine = await EngineUnderTest.StartAsync(peers, settings, faults.CreateHandler, prefix: loader.Prefix);
    await AwaitCondition.UntilAsync(() => Task.FromResult(faults.SentAt.Count >= count), TimeSpan.FromMinutes(10), $"{count} sends");
    clock.Stop();
    var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;

    var sentAt = faults.SentAt.Order().ToList();
    var busiest = 0;
    for (int start = 0, end = 0; start < sentAt.Count; start++)
    {
        while (end < sentAt.Count && sentAt[end] < sentAt[start].AddSeconds(1))
        {
            end++;
        }

        busiest = Math.Max(busiest, end - start);
    }

    var span = (sentAt[^1] - sentAt[0]).TotalSeconds;
    var rate = (sentAt.Count - 1) / span;
    var ratio = limit is { } l ? (rate / l).ToString("0.000", CultureInfo.InvariantCulture) : "–";
    Console.WriteLine($"| {name} | {sentAt.Count:N0} | {clock.Elapsed.TotalSeconds:0.0} | {count / clock.Elapsed.TotalSeconds:N0} | {ratio} | {busiest} | {cpuMs / count * 1000:N0} |");
}
