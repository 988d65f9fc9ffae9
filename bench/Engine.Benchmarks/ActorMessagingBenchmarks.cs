using BenchmarkDotNet.Attributes;
using Messaging.Engine.Actors;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Benchmarks;

/// <summary>
/// In-process messaging between actors, the workload of Akka.NET's ping-pong benchmark: pairs of actors bounce
/// messages, many in flight per pair, so mailboxes are drained in batches as in a busy engine.
/// </summary>
[MemoryDiagnoser]
public class ActorMessagingBenchmarks
{
    private const int MessagesPerInvoke = 2_000_000;
    private const int InFlightPerPair = 1_000;

    private ActorHost _host = null!;

    [Params(1, 4, 16)]
    public int Pairs { get; set; }

    [GlobalSetup]
    public void Setup() => _host = NewHost();

    [GlobalCleanup]
    public Task Cleanup() => _host.StopAsync(CancellationToken.None);

    internal static ActorHost NewHost() => new(
        Options.Create(new ActorOptions { MailboxCapacity = 4_096 }),
        new LoggingDeadLetterSink(NullLogger<LoggingDeadLetterSink>.Instance),
        NullLoggerFactory.Instance,
        TimeProvider.System);

    /// <summary>Messages delivered per second = 1 / mean time per operation.</summary>
    [Benchmark(OperationsPerInvoke = MessagesPerInvoke)]
    public async Task PingPong()
    {
        var rallies = new List<Task>();
        for (var p = 0; p < Pairs; p++)
        {
            var rally = new Rally(MessagesPerInvoke / Pairs);
            ActorRef<Ball>? pong = null;
            var ping = _host.Spawn<Ball>($"ping{p}-{Guid.NewGuid():N}", () => new Bouncer(() => pong!, rally));
            pong = _host.Spawn<Ball>($"pong{p}-{Guid.NewGuid():N}", () => new Bouncer(() => ping, rally));
            for (var i = 0; i < InFlightPerPair; i++)
            {
                ping.TryTell(new Ball());
            }

            rallies.Add(rally.Finished);
        }

        await Task.WhenAll(rallies);
    }

    /// <summary>One producer telling one actor as fast as the mailbox takes it (backpressure included).</summary>
    [Benchmark(OperationsPerInvoke = MessagesPerInvoke)]
    public async Task TellToOneActor()
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        var sink = _host.Spawn<int>($"sink-{Guid.NewGuid():N}", () => new Counter(() =>
        {
            if (++received == MessagesPerInvoke)
            {
                finished.SetResult();
            }
        }));
        for (var i = 0; i < MessagesPerInvoke; i++)
        {
            if (!sink.TryTell(i))
            {
                await sink.TellAsync(i, CancellationToken.None);
            }
        }

        await finished.Task;
    }

    internal sealed record Ball;

    /// <summary>A pair's budget: exactly <c>deliveries</c> messages are delivered, then every ball stops.</summary>
    private sealed class Rally(int deliveries)
    {
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _deliveriesLeft = deliveries;
        private int _sendsLeft = deliveries - InFlightPerPair;

        public Task Finished => _finished.Task;

        /// <summary>Counts a delivery; true when the ball should be sent on.</summary>
        public bool Delivered()
        {
            if (Interlocked.Decrement(ref _deliveriesLeft) == 0)
            {
                _finished.SetResult();
            }

            return Interlocked.Decrement(ref _sendsLeft) >= 0;
        }
    }

    private sealed class Bouncer(Func<ActorRef<Ball>> other, Rally rally) : Actor<Ball>
    {
        protected internal override ValueTask ReceiveAsync(Ball message, CancellationToken cancellationToken)
        {
            if (!rally.Delivered())
            {
                return ValueTask.CompletedTask;
            }

            var target = other();
            return target.TryTell(message) ? ValueTask.CompletedTask : target.TellAsync(message, cancellationToken);
        }
    }

    private sealed class Counter(Action counted) : Actor<int>
    {
        protected internal override ValueTask ReceiveAsync(int message, CancellationToken cancellationToken)
        {
            counted();
            return ValueTask.CompletedTask;
        }
    }
}
