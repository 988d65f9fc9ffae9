using System.Diagnostics;
using System.Globalization;

namespace Messaging.Benchmarks;

/// <summary>
/// A quick console run of <see cref="AkkaPersistedEventsBenchmarks"/> (Akka on the engine's plugin) in one process, one
/// store after the other, for when BenchmarkDotNet's separate build and many iterations do not fit the machine: one warm-up round, then
/// <c>rounds</c> timed rounds per scenario; it prints each round's µs per event.
/// </summary>
internal static class PersistedEventsComparison
{
    public static async Task RunAsync(IReadOnlyList<StoreKind> stores, int rounds)
    {
        foreach (var store in stores)
        {
            var akka = new AkkaPersistedEventsBenchmarks { Store = store };
            await akka.Setup();
            try
            {
                await MeasureAsync($"akka {store}", [("1", 200, akka.OneActor), ("100", 10_000, akka.HundredActors), ("10000", 20_000, akka.TenThousandActors)], rounds);
            }
            finally
            {
                await akka.Cleanup();
            }
        }
    }

    private static async Task MeasureAsync(string name, (string Actors, int Events, Func<Task> Run)[] scenarios, int rounds)
    {
        foreach (var (actors, events, run) in scenarios)
        {
            await run();
            var perEvent = new List<double>();
            for (var r = 0; r < rounds; r++)
            {
                var watch = Stopwatch.StartNew();
                await run();
                perEvent.Add(watch.Elapsed.TotalMicroseconds / events);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-18} actors={actors,-6} µs/event: {string.Join(" ", perEvent.Select(p => p.ToString("F1", CultureInfo.InvariantCulture)))}  median {perEvent.Order().ElementAt(perEvent.Count / 2):F1}"));
        }
    }
}
