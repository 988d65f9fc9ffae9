using BenchmarkDotNet.Running;
using Messaging.Benchmarks;

// Micro-benchmarks:   dotnet run -c Release --project bench/Engine.Benchmarks -- --filter '*'
// Memory per actor:   dotnet run -c Release --project bench/Engine.Benchmarks -- idle-actor-memory [actors]
// Persisted events, in-house vs Akka, quick:  … -- persisted-events [sqlite|postgres|both] [rounds]
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

if (args is ["idle-actor-memory", ..])
{
    await IdleActorMemory.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
