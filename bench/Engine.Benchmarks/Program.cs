using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Engine.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
