using BenchmarkDotNet.Running;
using Messaging.Benchmarks;

// Micro-benchmarks:   dotnet run -c Release --project bench/Engine.Benchmarks -- --filter '*'
// Persisted events through Akka persistent actors on the engine's plugin, quick:  … -- persisted-events [sqlite|postgres|both] [rounds]
if (args is ["persisted-events", ..])
{
    var stores = (args.Length > 1 ? args[1] : "both") switch
    {
        "sqlite" => new[] { StoreKind.Sqlite },
        "postgres" => [StoreKind.Postgres],
        _ => [StoreKind.Sqlite, StoreKind.Postgres],
    };
    await PersistedEventsComparison.RunAsync(stores, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
