using System.Diagnostics;
using System.Globalization;

namespace Messaging.Benchmarks;

/// <summary>
/// Quick console runs of <see cref="AkkaPersistedEventsBenchmarks"/> (Akka on the engine's plugin) or <see cref="PingPongBenchmarks"/> in one process, one
/// store (and way of reaching the actors) after the other, for when BenchmarkDotNet's separate build and many iterations do not fit the machine: one warm-up round, then
/// <c>rounds</c> timed rounds per scenario; it prints each round's µs per event (ns per message for ping-pong).
/// </summary>
internal static class QuickRuns
{
    public static async Task RunAsync(IReadOnlyList<StoreKind> stores, IReadOnlyList<bool> sharded, int rounds)
    {
        foreach (var (store, viaRegion) in stores.SelectMany(s => sharded.Select(h => (s, h))))
        {
            var akka = new AkkaPersistedEventsBenchmarks { Store = store, Sharded = viaRegion };
            await akka.Setup();
            try
            {
                await MeasureAsync($"akka {store}{(viaRegion ? " sharded" : "")}", [("1", 200, akka.OneActor), ("100", 10_000, akka.HundredActors), ("10000", 20_000, akka.TenThousandActors)], rounds);
            }
            finally
            {
                await akka.Cleanup();
            }
        }
    }

    /// <summary>Ping-pong (<see cref="PingPongBenchmarks"/>) with 1, 4 and 16 pairs, each on a fresh actor system.</summary>
    public static async Task RunPingPongAsync(int rounds)
    {
        foreach (var pairs in new[] { 1, 4, 16 })
        {
            var benchmark = new PingPongBenchmarks { Pairs = pairs };
            benchmark.Setup();
            try
            {
                Console.WriteLine($"ping-pong on {benchmark.Dispatcher}");
                await MeasureAsync("ping-pong", [(pairs.ToString(CultureInfo.InvariantCulture), 1_600_000, benchmark.PingPong)], rounds, "pairs", "ns/message", 1_000);
            }
            finally
            {
                await benchmark.Cleanup();
            }
        }
    }

    /// <param name="unit">What a figure is, per operation; <paramref name="perMicrosecond"/> converts µs to it (1,000 for ns).</param>
    private static async Task MeasureAsync(string name, (string Count, int Operations, Func<Task> Run)[] scenarios, int rounds, string counted = "actors", string unit = "µs/event", double perMicrosecond = 1)
    {
        foreach (var (count, operations, run) in scenarios)
        {
            await run();
            var perOperation = new List<double>();
            for (var r = 0; r < rounds; r++)
            {
                var watch = Stopwatch.StartNew();
                await run();
                perOperation.Add(watch.Elapsed.TotalMicroseconds * perMicrosecond / operations);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-26} {counted}={count,-6} {unit}: {string.Join(" ", perOperation.Select(p => p.ToString("F1", CultureInfo.InvariantCulture)))}  median {perOperation.Order().ElementAt(perOperation.Count / 2):F1}"));
        }
    }
}
