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
/// The engine and the usual alternative (a Node worker on <c>sqs-consumer</c> and the AWS SDK v3, bench/node-peer)
/// draining the same requests from the local SQS peer into the same provider simulator, one after the other, per
/// scenario. Everything is measured from outside the runners: sends as the provider simulator counted them, CPU and
/// peak RSS of the runner's processes.
/// </summary>
internal static class CompareRun
{
    private static readonly Scenario[] All =
    [
        // (a) is short enough that a runner's warm-up (the engine's JIT tiering up) would fill its whole window: a
        // warm-up of as many requests again, to recipients of their own, is sent first and left out of the figures.
        new("a", "instant provider, no limit", Rate: 0, Latency: TimeSpan.Zero, Requests: 20_000, Recipients: 20_000, Warmup: 20_000),
        // (b)'s tier-up takes its first 10 s at 500/s, half of its 20-80 % window: ten seconds of warm-up go first. They
        // are left out of the throughput and CPU figures only; the busiest second and the 429s count every call.
        new("b", "100 ms provider, 500/s account", Rate: 500, Latency: TimeSpan.FromMilliseconds(100), Requests: 10_000, Recipients: 10_000, Paced: 2_500, Warmup: 5_000),
        new("c", "100 ms provider, 50/s account", Rate: 50, Latency: TimeSpan.FromMilliseconds(100), Requests: 2_500, Recipients: 2_500, Paced: 250),
        new("d", "1,000,000 distinct recipients, instant provider", Rate: 0, Latency: TimeSpan.Zero, Requests: 1_000_000, Recipients: 1_000_000, Streaming: true, WithPeer: false),
        new("e", "100,000 requests to 100 hot recipients, instant provider", Rate: 0, Latency: TimeSpan.Zero, Requests: 100_000, Recipients: 100),
    ];

    /// <summary>Requests kept on the queue at most while a streaming scenario is fed (the local SQS peer slows with depth).</summary>
    private const int StreamingDepth = 20_000;

    public static async Task RunAsync(string[] args)
    {
        var scenarios = Option(args, "--scenarios", "a,b,c,e").Split(',');
        var stores = Option(args, "--stores", "sqlite,postgres").Split(',');
        var scale = double.Parse(Option(args, "--scale", "1"), CultureInfo.InvariantCulture);
        // Runs of one build spread by a quarter in CPU per email on a shared machine: each scenario's runners take turns
        // this many times, and the medians are compared.
        var repeat = int.Parse(Option(args, "--repeat", "1"), CultureInfo.InvariantCulture);
        // Set by bench/run.sh --pin: the runner's own cores (this harness, the simulator and the SQS peer run on the others).
        var runnerCores = Option(args, "--runner-cores", "") is { Length: > 0 } list ? RunnerCores.Parse(list) : null;
        // One Node process per core the peer may use, as one would deploy it.
        var peerProcesses = int.Parse(Option(args, "--peer-processes", (runnerCores?.Count ?? Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var peerConsumers = int.Parse(Option(args, "--peer-consumers", "20"), CultureInfo.InvariantCulture);
        // A folder to write each engine run's CPU samples to (EventPipe, read with `dotnet-trace report FILE topN`).
        var traceDirectory = Option(args, "--trace", "") is { Length: > 0 } trace ? Path.GetFullPath(trace) : null;
        // Extra environment for the engine only (NAME=VALUE,…), to try a runtime setting on it alone.
        var engineEnvironment = Option(args, "--engine-env", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "");
        // The host to run: bench/run.sh passes its ReadyToRun publish (as deployed); otherwise the build this harness references.
        var engineHost = Option(args, "--engine-host", "") is { Length: > 0 } host
            ? Path.GetFullPath(host)
            : typeof(Messaging.Host.Auth.OperatorRoles).Assembly.Location;
        var engineSetup = new EngineSetup(engineHost, traceDirectory, engineEnvironment, runnerCores);

        var peers = new LocalAwsPeers();
        await peers.InitializeAsync();
        var beside = BesideTheRunner.Find();
        PostgresServer? postgres = null;
        if (stores.Contains("postgres"))
        {
            postgres = new PostgresServer();
            await postgres.InitializeAsync();
        }

        try
        {
            Console.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores{(runnerCores is null ? "" : $" for the harness, simulator and SQS peer, the runner pinned to CPU {runnerCores.List}")}; .NET {Environment.Version}; node {NodeVersion()}; scale {scale}");
            Console.WriteLine($"peer: {peerProcesses} process(es) × {peerConsumers} sqs-consumer consumers × batch 10; engine: 8 pollers, 400 requests in flight, host {Path.GetRelativePath(RepositoryLayout.Root, engineHost)}");
            Console.WriteLine();
            Console.WriteLine("| scenario | runner | sent / requests | lost | doubled | emails/s (20–80 %) | achieved ÷ limit | 429s per email | busiest 1 s: sent / calls | p50 / p99 latency ms | CPU s per 1,000 | peak RSS MB |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var scenario in All.Where(s => scenarios.Contains(s.Key)).Select(s => s.Scaled(scale)))
            {
                var runners = new List<Runner>();
                if (scenario.WithPeer && !args.Contains("--without-peer"))
                {
                    runners.Add(new Runner(PeerName, Store: null));
                }

                runners.AddRange(stores.Select(s => new Runner($"engine ({(s == "postgres" ? "PostgreSQL" : "SQLite")})", s)));
                if (scenario.Paced > 0)
                {
                    // The floor under every runner's latency: the local SQS peer alone, polled as the engine polls.
                    await using var aws = AwsTestServices.Create(sqs: peers.SqsEndpoint);
                    var floor = await ReceiveFloor.MeasureAsync(aws.GetRequiredService<IAmazonSQS>(), $"f{Guid.NewGuid():N}"[..13], scenario.Paced, scenario.Rate / 2.0);
                    Console.WriteLine($"| {scenario.Key}) {scenario.Name} | the SQS peer alone, enqueue → receive (8 receivers, no wait) | – | – | – | – | – | – | – | {Percentiles.P50AndP99(floor)} | – | – |");
                }

                var cpuPerThousand = runners.ToDictionary(r => r.Name, _ => new List<double>());
                for (var turn = 0; turn < repeat; turn++)
                {
                    foreach (var runner in runners)
                    {
                        var result = await RunOnceAsync(peers, postgres, scenario, runner, peerProcesses, peerConsumers, engineSetup, beside);
                        Console.WriteLine(result.Row(scenario, runner));
                        if (result.CpuPerThousand() is { } cpu)
                        {
                            cpuPerThousand[runner.Name].Add(cpu);
                        }

                        foreach (var note in result.Notes)
                        {
                            Console.Error.WriteLine($"  [{scenario.Key} {runner.Name}] {note}");
                        }
                    }
                }

                if (repeat > 1)
                {
                    Console.WriteLine(MedianLine(scenario, cpuPerThousand));
                }
            }
        }
        finally
        {
            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }

            await peers.DisposeAsync();
        }
    }

    private static async Task<Result> RunOnceAsync(LocalAwsPeers peers, PostgresServer? postgres, Scenario scenario, Runner runner, int peerProcesses, int peerConsumers, EngineSetup setup, BesideTheRunner beside)
    {
        var prefix = $"c{Guid.NewGuid():N}"[..13];
        var notes = new List<string>();
        await using var provider = await ProviderSimulator.StartAsync(scenario.Rate, smsRate: 0, scenario.Latency, keepCalls: !scenario.Streaming);
        await using var aws = AwsTestServices.Create(sqs: peers.SqsEndpoint);
        var sqs = aws.GetRequiredService<IAmazonSQS>();
        foreach (var queue in new[] { "requests", "dlq", "feedback", "feedback-dlq" })
        {
            await sqs.CreateQueueAsync($"{prefix}-{queue}");
        }

        var queueUrl = (await sqs.GetQueueUrlAsync($"{prefix}-requests")).QueueUrl;
        var producer = new Producer(sqs, queueUrl, prefix, scenario.ProducerRecipients);
        if (!scenario.Streaming)
        {
            // The backlog (after any warm-up) is queued before the runner starts: the clock measures the runner, not
            // the producer.
            await producer.EnqueueAsync(scenario.Warmup + scenario.Requests);
        }

        var directory = Path.Combine(Path.GetTempPath(), $"messaging-compare-{prefix}");
        var database = postgres is null || runner.Store != "postgres" ? null : await postgres.CreateDatabaseAsync();
        List<RunnerProcess> Start() => runner.Store is null
            ? StartPeer(peers, provider, queueUrl, peerProcesses, peerConsumers)
            : [StartEngine(peers, provider, prefix, scenario, runner.Store, directory, setup, database)];
        var processes = setup.RunnerCores is { } cores ? cores.Start(Start) : Start();
        if (setup.RunnerCores is not null)
        {
            notes.Add(RunnerCores.Placement());
        }

        try
        {
            using var feeding = new CancellationTokenSource();
            var feeder = scenario.Streaming
                ? producer.StreamAsync(scenario.Requests, () => provider.DistinctMessages, StreamingDepth, feeding.Token)
                : Task.CompletedTask;

            var marks = await AwaitBacklogAsync(provider, scenario, runner, processes, beside, feeder, notes);
            if (marks.Count >= 2)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"beside the runner, the harness (provider simulator, producer){(beside.WithSqsPeer ? " and the SQS peer" : "")}: {(marks[1].Beside - marks[0].Beside).TotalSeconds / scenario.MeasuredEmails * 1000:0.00} CPU s per 1,000 (20–80 %)"));
            }

            await feeding.CancelAsync();
            try
            {
                await feeder;
            }
            catch (OperationCanceledException) when (feeding.IsCancellationRequested)
            {
                // Stopped on purpose once the backlog was sent (or the wait gave up).
            }
            catch (Exception e)
            {
                notes.Add($"the producer failed: {e.Message}");
            }

            var backlogAccepted = provider.Accepted;
            if (backlogAccepted.Count > 0)
            {
                // Where a rate is missed, or a runner warms up: each second's sends while the backlog drained (calls
                // beyond them were 429s).
                var start = backlogAccepted.Min(a => a.ArrivedAt);
                notes.Add("sends per second through the backlog: " + string.Join(" ", backlogAccepted
                    .GroupBy(a => (int)Stopwatch.GetElapsedTime(start, a.ArrivedAt).TotalSeconds).OrderBy(g => g.Key).Select(g => g.Count())));
                if (scenario.Rate >= 1 && PastTheSecond(backlogAccepted, scenario) is { } past)
                {
                    notes.Add(past);
                }
            }

            // Latency below the limit: requests arrive one by one at half the account's rate, onto an idle runner.
            IReadOnlyList<double> latencies = [];
            if (scenario.Paced > 0 && marks.Count == 3)
            {
                var enqueuedAt = await producer.PaceAsync(scenario.Paced, scenario.Rate / 2);
                var expected = scenario.Warmup + scenario.Requests + scenario.Paced;
                await AwaitCondition.UntilAsync(() => Task.FromResult(provider.DistinctMessages >= expected), TimeSpan.FromSeconds(120), "the paced requests sent");
                var firstSend = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var send in provider.Accepted)
                {
                    firstSend.TryAdd(send.MessageId, send.ArrivedAt);
                }

                latencies = enqueuedAt.Select(e => Stopwatch.GetElapsedTime(e.Value, firstSend[e.Key]).TotalMilliseconds).Order().ToList();
            }

            var peakRss = processes.Sum(p => p.PeakRssBytes) / 1024.0 / 1024.0;
            var totalRequests = scenario.Warmup + scenario.Requests + (latencies.Count > 0 ? scenario.Paced : 0);
            if (provider.Rejections.Count > 0)
            {
                notes.Add($"{provider.Rejections.Count} call(s) rejected by the simulator; first: {provider.Rejections[0]}");
            }

            if (runner.Store is not null)
            {
                var deadLetters = await CountAsync(sqs, $"{prefix}-dlq");
                if (deadLetters > 0)
                {
                    notes.Add($"{deadLetters} request(s) on the dead-letter queue");
                }
            }

            if (runner.Store is null)
            {
                notes.Add($"{processes.Sum(p => p.PeerFailures ?? 0):N0} handler run(s) failed after the SDK's retries; those messages reappeared after the visibility timeout");
            }

            if (runner.Store is not null)
            {
                // Fewer receives per request is a smaller SQS bill: counted by the engine, read before it stops.
                var receives = 0.0;
                foreach (var process in processes)
                {
                    receives += await process.RequestQueueReceiveCallsAsync() ?? 0;
                }

                notes.Add($"{receives:N0} ReceiveMessage calls on the request queue for {totalRequests:N0} requests: {receives / totalRequests:0.000} per request");

                if (scenario.Rate > 0 && processes.Count == 1 && await processes[0].ProviderCallsAsync() is { } calls)
                {
                    // Where a rate falls short of the limit, the round trip beyond the provider's stated work is why
                    // (docs/pipeline.md): how much of it the simulator's own scheduling took, and how much the rest.
                    var answers = provider.Answers;
                    notes.Add(string.Create(CultureInfo.InvariantCulture,
                        $"provider calls as the engine timed them: {calls.Mean.TotalMilliseconds:0.0} ms mean over {calls.Calls:N0}; the simulator held each {answers.MeanHeld.TotalMilliseconds:0.0} ms from arrival to answer ({answers.MeanLate.TotalMilliseconds:0.0} ms past its {scenario.Latency.TotalMilliseconds:0} ms after counting it, never less than {answers.LeastAfterCounting.TotalMilliseconds:0.0} ms)"));
                }
            }

            notes.AddRange(processes.SelectMany(p => p.Warnings()).Take(5));
            return new Result(
                Sent: provider.DistinctMessages,
                Requests: totalRequests,
                Doubled: provider.Doubled,
                Throttled: provider.Throttled,
                AcceptedCount: provider.AcceptedCount,
                Marks: marks,
                MeasuredEmails: scenario.MeasuredEmails,
                Accepted: backlogAccepted,
                Calls: provider.CallTimes,
                Latencies: latencies,
                PeakRssMb: peakRss,
                Fairness: scenario.Recipients < scenario.Requests && marks.Count == 3 ? Fairness(backlogAccepted, scenario.Recipients) : null,
                Notes: notes);
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }

            NpgsqlConnection.ClearAllPools();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>
    /// Waits for the backlog, taking time, the runner's CPU and the CPU beside it at 20 %, 80 % and 100 % of it (start-up and tail are left out of the
    /// 20–80 % figures). Gives up after 90 s without progress or when a process exits; fewer than three marks say so.
    /// </summary>
    private static async Task<List<(long At, TimeSpan Cpu, TimeSpan Beside)>> AwaitBacklogAsync(
        ProviderSimulator provider, Scenario scenario, Runner runner, IReadOnlyList<RunnerProcess> processes, BesideTheRunner beside, Task feeder, List<string> notes)
    {
        var marks = new List<(long At, TimeSpan Cpu, TimeSpan Beside)>();
        var lastProgress = (Count: 0, At: Stopwatch.GetTimestamp());
        var lastReport = Stopwatch.GetTimestamp();
        foreach (var fraction in new[] { 0.2, 0.8, 1.0 })
        {
            var target = scenario.SentAt(fraction);
            while (provider.DistinctMessages < target)
            {
                if (provider.DistinctMessages > lastProgress.Count)
                {
                    lastProgress = (provider.DistinctMessages, Stopwatch.GetTimestamp());
                }
                else if (Stopwatch.GetElapsedTime(lastProgress.At) > TimeSpan.FromSeconds(90) || processes.Any(p => p.HasExited) || feeder.IsFaulted)
                {
                    notes.Add($"stopped waiting at {provider.DistinctMessages:N0} of {scenario.Warmup + scenario.Requests:N0}: no progress for 90 s, a process exited or the producer failed");
                    notes.AddRange(processes.Select(p => p.Tail()));
                    return marks;
                }

                await Task.Delay(20);
                if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(15))
                {
                    lastReport = Stopwatch.GetTimestamp();
                    Console.Error.WriteLine($"  [{scenario.Key} {runner.Name}] {provider.DistinctMessages:N0} of {scenario.Warmup + scenario.Requests:N0} sent, {provider.Throttled:N0} calls throttled");
                }
            }

            marks.Add((Stopwatch.GetTimestamp(), Cpu(processes), beside.Cpu()));
        }

        return marks;
    }

    private static RunnerProcess StartEngine(LocalAwsPeers peers, ProviderSimulator provider, string prefix, Scenario scenario, string store, string directory, EngineSetup setup, string? database)
    {
        var environment = EngineProcess.PeerEnvironment(peers, provider.Endpoint, prefix);
        environment["Engine__Aws__SmsEndpoint"] = provider.Endpoint.ToString();
        environment["Engine__Ingest__RequestQueues__0__Name"] = $"{prefix}-requests";
        environment["Engine__Ingest__RequestQueues__0__Pollers"] = "8";
        environment["Engine__Ingest__RequestQueues__0__MaxInFlight"] = "400";
        // The local SQS peer holds a long poll until it has 10 messages (real SQS answers as soon as it has one);
        // both runners poll without waiting so a trickle of requests is not held back by the peer.
        environment["Engine__Ingest__WaitTime"] = "00:00:00";
        environment["Engine__Ingest__VisibilityTimeout"] = "00:00:30";
        environment["Logging__LogLevel__Default"] = "Warning";
        // As a node is deployed (scripts/engine, deploy/kubernetes): hot methods optimised without the runtime's delay.
        environment["DOTNET_TC_CallCountingDelayMs"] = "0";
        // Its "Now listening on" line: the harness reads the engine's counters from its /metrics.
        environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        if (scenario.Rate <= 0)
        {
            environment["Engine__Throttling__EmailMaxSendRate"] = "0";
        }

        // Otherwise the rate is the account's, from the simulator's GetAccount, as in production.
        if (store == "postgres")
        {
            environment["Engine__Persistence__Provider"] = "Postgres";
            environment["Engine__Persistence__PostgresConnectionString"] = database!;
        }
        else
        {
            environment["Engine__Persistence__SqlitePath"] = Path.Combine(directory, "engine.db");
        }

        foreach (var (name, value) in setup.Environment)
        {
            environment[name] = value;
        }

        if (setup.TraceDirectory is { } traceDirectory)
        {
            // CPU samples of every thread from start to a graceful stop, with the method names written at the end.
            Directory.CreateDirectory(traceDirectory);
            environment["DOTNET_EnableEventPipe"] = "1";
            environment["DOTNET_EventPipeOutputPath"] = Path.Combine(traceDirectory, $"engine-{scenario.Key}-{store}-{{pid}}.nettrace");
            environment["DOTNET_EventPipeConfig"] = "Microsoft-DotNETCore-SampleProfiler:0:5,Microsoft-Windows-DotNETRuntime:0x14C14FCCBD:4";
        }

        return RunnerProcess.Engine(EngineProcess.Start(setup.Host, environment));
    }

    private static List<RunnerProcess> StartPeer(LocalAwsPeers peers, ProviderSimulator provider, string queueUrl, int processes, int consumers)
    {
        var folder = RepositoryLayout.PathOf("bench", "node-peer");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "sqs-consumer")))
        {
            throw new InvalidOperationException($"The Node peer is not installed in {folder}: run ./bench/run.sh, or 'npm ci' in that folder.");
        }

        return Enumerable.Range(0, processes).Select(_ =>
        {
            var start = new ProcessStartInfo("node", ["worker.mjs"])
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["QUEUE_URL"] = queueUrl;
            start.Environment["SQS_ENDPOINT"] = peers.SqsEndpoint.ToString();
            start.Environment["SES_ENDPOINT"] = provider.Endpoint.ToString();
            start.Environment["AWS_REGION"] = SmsFixtureServer.Region;
            start.Environment["AWS_ACCESS_KEY_ID"] = SmsFixtureServer.AccessKey;
            start.Environment["AWS_SECRET_ACCESS_KEY"] = SmsFixtureServer.SecretKey;
            start.Environment["CONSUMERS"] = consumers.ToString(CultureInfo.InvariantCulture);
            start.Environment["WAIT_TIME_SECONDS"] = "0";
            return RunnerProcess.Node(Process.Start(start) ?? throw new InvalidOperationException("node did not start"));
        }).ToList();
    }

    private static TimeSpan Cpu(IEnumerable<RunnerProcess> processes) => processes.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.TotalProcessorTime);

    private static async Task<int> CountAsync(IAmazonSQS sqs, string queue)
    {
        var url = (await sqs.GetQueueUrlAsync(queue)).QueueUrl;
        var attributes = (await sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        return attributes.Values.Sum(int.Parse);
    }

    /// <summary>
    /// Over the 20–80 % span, how far past a second each send came after the send a limit before it, as the provider
    /// counted them. The account allows a limit's sends in any second, so a runner at the limit has each one a second
    /// after that one: the mean says what the rate lost (limit ÷ (1 s + mean)), the median what every place loses (a
    /// round trip beyond the stated work, a late door), the rest the stalls.
    /// </summary>
    private static string? PastTheSecond(IReadOnlyList<ProviderSimulator.AcceptedSend> accepted, Scenario scenario)
    {
        var limit = (int)Math.Floor(scenario.Rate);
        var arrivals = accepted.Select(a => a.ArrivedAt).Order().ToList();
        var from = Math.Max(limit, scenario.SentAt(0.2));
        var to = Math.Min(arrivals.Count, scenario.SentAt(0.8));
        if (to <= from)
        {
            return null;
        }

        var past = Enumerable.Range(from, to - from)
            .Select(n => Stopwatch.GetElapsedTime(arrivals[n - limit], arrivals[n]).TotalMilliseconds - 1000).Order().ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"each send past a second after the send {limit:N0} before it (20–80 %): mean {past.Average():0.0} ms, median {Percentiles.Of(past, 0.5):0.0}, p90 {Percentiles.Of(past, 0.9):0.0}, p99 {Percentiles.Of(past, 0.99):0.0}, most {past[^1]:0.0}");
    }

    /// <summary>
    /// At the moment half the backlog was sent, each recipient's sends as a share of its fair half (1.0 = exactly
    /// half its requests): the lowest and highest shares. A starved recipient shows as a low minimum.
    /// </summary>
    private static (double Min, double Max) Fairness(IReadOnlyList<ProviderSimulator.AcceptedSend> accepted, int recipients)
    {
        var firsts = accepted.DistinctBy(a => a.MessageId).OrderBy(a => a.ArrivedAt).ToList();
        var perRecipient = new int[recipients];
        foreach (var send in firsts.Take(firsts.Count / 2))
        {
            perRecipient[Producer.RecipientOf(send.MessageId, recipients)]++;
        }

        var fair = firsts.Count / 2.0 / recipients;
        return (perRecipient.Min() / fair, perRecipient.Max() / fair);
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private static string NodeVersion()
    {
        using var node = Process.Start(new ProcessStartInfo("node", ["--version"]) { RedirectStandardOutput = true })!;
        return node.StandardOutput.ReadToEnd().Trim();
    }

    private sealed record Scenario(
        string Key, string Name, double Rate, TimeSpan Latency, int Requests, int Recipients,
        int Paced = 0, bool Streaming = false, bool WithPeer = true, int Warmup = 0)
    {
        /// <summary>Recipients the producer spreads requests over: one each, warm-up included, where the scenario says one each.</summary>
        public int ProducerRecipients => Recipients == Requests ? Warmup + Requests : Recipients;

        /// <summary>The emails between the 20 % and 80 % marks of the backlog, over which rate and CPU are measured.</summary>
        public int MeasuredEmails => SentAt(0.8) - SentAt(0.2);

        /// <summary>How many distinct sends the provider has counted when <paramref name="fraction"/> of the backlog is sent (the warm-up first).</summary>
        public int SentAt(double fraction) => Warmup + (int)(Requests * fraction);

        public Scenario Scaled(double scale) => scale == 1 ? this : this with
        {
            Requests = Math.Max(100, (int)(Requests * scale)),
            Recipients = Recipients == Requests ? Math.Max(100, (int)(Requests * scale)) : Recipients,
            Paced = (int)(Paced * scale),
            Warmup = (int)(Warmup * scale),
        };
    }

    /// <summary>After repeated turns: each runner's median CPU per 1,000 emails and, beside the peer, the engine's ratio to it.</summary>
    private static string MedianLine(Scenario scenario, Dictionary<string, List<double>> cpuPerThousand)
    {
        var medians = cpuPerThousand.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key, r => Percentiles.Median(r.Value));
        var peer = medians.GetValueOrDefault(PeerName);
        var parts = medians.Select(m => string.Create(CultureInfo.InvariantCulture,
            $"{m.Key} {m.Value:0.00}{(m.Key != PeerName && peer > 0 ? $" ({m.Value / peer:0.00}× the peer's)" : "")}"));
        return $"| {scenario.Key}) median CPU s per 1,000 over {cpuPerThousand.Values.Max(v => v.Count)} turns | {string.Join("; ", parts)} |";
    }

    private const string PeerName = "node peer";

    private sealed record Runner(string Name, string? Store);

    /// <summary>What a runner runs with beyond its scenario: the engine host's assembly, a folder for the engine's CPU samples, extra environment for the engine, the cores it is pinned to.</summary>
    private sealed record EngineSetup(string Host, string? TraceDirectory, IReadOnlyDictionary<string, string> Environment, RunnerCores? RunnerCores);

    private sealed record Result(
        int Sent, int Requests, long Doubled, long Throttled, long AcceptedCount, List<(long At, TimeSpan Cpu, TimeSpan Beside)> Marks, int MeasuredEmails,
        IReadOnlyList<ProviderSimulator.AcceptedSend> Accepted, IReadOnlyList<long> Calls, IReadOnlyList<double> Latencies,
        double PeakRssMb, (double Min, double Max)? Fairness, List<string> Notes)
    {
        /// <summary>CPU seconds per 1,000 emails over the 20–80 % window; null when the run did not reach it.</summary>
        public double? CpuPerThousand() =>
            Marks.Count >= 2 ? (Marks[1].Cpu - Marks[0].Cpu).TotalSeconds / MeasuredEmails * 1000 : null;

        /// <summary>
        /// The emails between the 20 % and 80 % marks and the time between them, from when the provider counted the sends
        /// that reached each mark: the harness looks at its count every 20 ms or so, later still when the machine is
        /// busy, which moved (b)'s ratio over its 12 s span by about 0.1 % (0.9935 against 0.9946). The marks' own
        /// times where the simulator kept no sends (streaming).
        /// </summary>
        private (int Emails, double Seconds) MeasuredSpan(Scenario scenario)
        {
            var first = scenario.SentAt(0.2) - 1;
            var last = scenario.SentAt(0.8) - 1;
            var arrivals = Accepted.DistinctBy(a => a.MessageId).Select(a => a.ArrivedAt).Order().ToList();
            return last < arrivals.Count
                ? (last - first, Stopwatch.GetElapsedTime(arrivals[first], arrivals[last]).TotalSeconds)
                : (MeasuredEmails, Stopwatch.GetElapsedTime(Marks[0].At, Marks[1].At).TotalSeconds);
        }

        public string Row(Scenario scenario, Runner runner)
        {
            var invariant = CultureInfo.InvariantCulture;
            string rate = "–", ratio = "–", cpu = "–";
            if (Marks.Count >= 2)
            {
                var (emails, seconds) = MeasuredSpan(scenario);
                rate = (emails / seconds).ToString("N0", invariant);
                ratio = scenario.Rate > 0 ? (emails / seconds / scenario.Rate).ToString("0.000", invariant) : "–";
                cpu = CpuPerThousand()!.Value.ToString("0.00", invariant);
            }

            var busiest = Accepted.Count > 0 ? $"{Busiest(Accepted.Select(a => a.ArrivedAt).Order().ToList()):N0} / {Busiest(Calls.Order().ToList()):N0}" : "–";
            var latency = Latencies.Count > 0
                ? Percentiles.P50AndP99(Latencies)
                : "–";
            var fairness = Fairness is { } f ? string.Create(invariant, $" (halfway, recipients at {f.Min:0.00}–{f.Max:0.00}× their share)") : string.Empty;
            return string.Create(invariant,
                $"| {scenario.Key}) {scenario.Name}{fairness} | {runner.Name} | {Sent:N0} / {Requests:N0} | {Requests - Sent:N0} | {Doubled:N0} | {rate} | {ratio} | {(Sent > 0 ? (double)Throttled / Sent : 0):0.000} | {busiest} | {latency} | {cpu} | {PeakRssMb:N0} |");
        }


        private static int Busiest(List<long> sorted)
        {
            var busiest = 0;
            var second = Stopwatch.Frequency;
            for (int start = 0, end = 0; start < sorted.Count; start++)
            {
                while (end < sorted.Count && sorted[end] - sorted[start] < second)
                {
                    end++;
                }

                busiest = Math.Max(busiest, end - start);
            }

            return busiest;
        }
    }
}
