using BenchmarkDotNet.Running;
using Messaging.Benchmarks;

// Micro-benchmarks:   dotnet run -c Release --project bench/Engine.Benchmarks -- --filter '*'
// Quick runs in one process, when BenchmarkDotNet's separate build and many iterations do not fit the machine:
//   persisted events through Akka persistent actors on the engine's plugin, asked directly or through a shard region:
//     … -- persisted-events [sqlite|postgres|both] [rounds] [direct|sharded|both]
//   ping-pong on Akka's default dispatcher, 1, 4 and 16 pairs:  … -- ping-pong [rounds]
if (args is ["persisted-events", ..])
{
    var stores = (args.Length > 1 ? args[1] : "both") switch
    {
        "sqlite" => new[] { StoreKind.Sqlite },
        "postgres" => [StoreKind.Postgres],
        _ => [StoreKind.Sqlite, StoreKind.Postgres],
    };
    var sharded = (args.Length > 3 ? args[3] : "both") switch
    {
        "direct" => new[] { false },
        "sharded" => [true],
        _ => [false, true],
    };
    await QuickRuns.RunAsync(stores, sharded, Rounds(2));
    return;
}

if (args is ["ping-pong", ..])
{
    await QuickRuns.RunPingPongAsync(Rounds(1));
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

int Rounds(int at) => args.Length > at ? int.Parse(args[at], System.Globalization.CultureInfo.InvariantCulture) : 3;
