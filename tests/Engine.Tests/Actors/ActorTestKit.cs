using System.Collections.Concurrent;
using Messaging.Engine.Actors;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Actors;

/// <summary>Dead letters kept for assertions.</summary>
internal sealed class RecordingDeadLetterSink : IDeadLetterSink
{
    public ConcurrentQueue<DeadLetter> Received { get; } = new();

    public void Publish(DeadLetter deadLetter) => Received.Enqueue(deadLetter);
}

/// <summary>An actor host for one test, with its clock and dead letters at hand.</summary>
internal sealed class ActorTestKit : IAsyncDisposable
{
    public ActorTestKit(Action<ActorOptions>? configure = null)
    {
        var options = new ActorOptions { MailboxCapacity = 16, PassivationScanInterval = TimeSpan.FromHours(1) };
        configure?.Invoke(options);
        Options = options;
        Host = new ActorHost(Microsoft.Extensions.Options.Options.Create(options), DeadLetters, NullLoggerFactory.Instance, Time);
    }

    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public ActorOptions Options { get; }

    public ManualTimeProvider Time { get; } = new();

    public RecordingDeadLetterSink DeadLetters { get; } = new();

    public ActorHost Host { get; }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

/// <summary>An actor made of lambdas, for runtime tests.</summary>
internal sealed class LambdaActor<T>(
    Func<T, CancellationToken, ValueTask> receive,
    Func<CancellationToken, ValueTask>? started = null,
    Action? stopped = null) : Actor<T>
{
    protected internal override ValueTask StartedAsync(CancellationToken cancellationToken) =>
        started?.Invoke(cancellationToken) ?? ValueTask.CompletedTask;

    protected internal override ValueTask ReceiveAsync(T message, CancellationToken cancellationToken) =>
        receive(message, cancellationToken);

    protected internal override ValueTask StoppedAsync(CancellationToken cancellationToken)
    {
        stopped?.Invoke();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A message that may carry a reply.</summary>
internal sealed record Probe(string Text, Reply<string>? Reply = null);
