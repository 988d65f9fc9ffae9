using BenchmarkDotNet.Running;
using Messaging.Benchmarks;

// Micro-benchmarks:   dotnet run -c Release --project bench/Engine.Benchmarks -- --filter '*'
// Memory per actor:   dotnet run -c Release --project bench/Engine.Benchmarks -- idle-actor-memory [actors]
if (args is ["idle-actor-memory", ..])
{
    await IdleActorMemory.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
