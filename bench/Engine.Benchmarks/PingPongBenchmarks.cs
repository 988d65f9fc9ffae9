using Akka.Actor;
using BenchmarkDotNet.Attributes;

namespace Messaging.Benchmarks;

/// <summary>
/// Ping-pong between pairs of Akka actors on Akka's default dispatcher and settings, with 1,000 messages in flight per
/// pair: the shape of the in-house runtime's <c>PingPong</c> in docs/benchmarks.md ("Actor runtime"), so the two read
/// side by side. Every delivered message counts, the ping and the pong; the total is split between the pairs.
/// </summary>
public class PingPongBenchmarks
{
    private const int InFlight = 1_000;
    private const int RoundTrips = 800_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    private ActorSystem _system = null!;
    private IActorRef[] _pingers = [];

    [Params(1, 4, 16)]
    public int Pairs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("pingpong", "akka.loglevel = WARNING");
        _pingers = Enumerable.Range(0, Pairs).Select(_ =>
        {
            var ponger = _system.ActorOf(Props.Create<Ponger>());
            return _system.ActorOf(Props.Create(() => new Pinger(ponger)));
        }).ToArray();
    }

    [GlobalCleanup]
    public Task Cleanup() => _system.Terminate();

    /// <summary>The dispatcher the actors ran on, as Akka's settings name it, for the record.</summary>
    public string Dispatcher => $"{_system.Settings.Config.GetString("akka.actor.default-dispatcher.type")}, executor {_system.Settings.Config.GetString("akka.actor.default-dispatcher.executor")} ({_system.Settings.Config.GetString("akka.actor.default-dispatcher.default-executor.default-executor")}), throughput {_system.Settings.Config.GetInt("akka.actor.default-dispatcher.throughput")}";

    [Benchmark(OperationsPerInvoke = 2 * RoundTrips)]
    public Task PingPong() => Task.WhenAll(_pingers.Select(p => p.Ask<Pinger.Done>(new Pinger.Start(InFlight, RoundTrips / Pairs), Deadline)));
}
