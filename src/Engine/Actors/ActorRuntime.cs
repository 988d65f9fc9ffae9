using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Actors;

/// <summary>What every actor cell of one host shares: settings, the supervisor, the dead-letter sink, time, logging.</summary>
internal sealed class ActorRuntime(
    ActorOptions options, IDeadLetterSink deadLetters, ILogger logger, TimeProvider timeProvider)
{
    private readonly CancellationTokenSource _abort = new();

    public ActorOptions Options { get; } = options;

    public SupervisorStrategy Supervisor { get; } = new(options.MaxConsecutiveFailures);

    public IDeadLetterSink DeadLetters { get; } = deadLetters;

    public ILogger Logger { get; } = logger;

    public TimeProvider Time { get; } = timeProvider;

    /// <summary>Cancelled when a shutdown runs out of time: handlers should stop, queued messages are abandoned.</summary>
    public CancellationToken Aborted => _abort.Token;

    public void Abort() => _abort.Cancel();
}
