using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Actors;

/// <summary>
/// The actor runtime of one process: creates entity registries and spawns single actors, and stops them all in order.
/// One per host, from dependency injection.
/// </summary>
public sealed class ActorHost : IAsyncDisposable
{
    private readonly ActorRuntime _runtime;
    private readonly List<Func<Task>> _stops = [];
    private readonly Lock _gate = new();
    private bool _stopped;

    public ActorHost(IOptions<ActorOptions> options, IDeadLetterSink deadLetters, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        _runtime = new ActorRuntime(options.Value, deadLetters, loggerFactory.CreateLogger("Messaging.Engine.Actors"), timeProvider);
    }

    public EntityRegistry<TKey, TMessage> CreateRegistry<TKey, TMessage>(string kind, Func<TKey, Actor<TMessage>> factory)
        where TKey : notnull
    {
        var registry = new EntityRegistry<TKey, TMessage>(kind, factory, _runtime);
        Register(registry.StopAsync);
        return registry;
    }

    public ActorRef<TMessage> Spawn<TMessage>(string name, Func<Actor<TMessage>> factory)
    {
        var cell = new ActorCell<TMessage>(name, factory, _runtime, stopped: null);
        Register(() =>
        {
            cell.Close();
            return cell.Completion;
        });
        cell.Start();
        return new ActorRef<TMessage>(cell, _runtime.Time);
    }

    /// <summary>
    /// Stops every actor after it has handled what is queued. If <paramref name="cancellationToken"/> fires first,
    /// handlers are cancelled and what is still queued is failed and dead-lettered, never silently dropped.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        List<Func<Task>> stops;
        lock (_gate)
        {
            _stopped = true;
            stops = [.. _stops];
        }

        var all = Task.WhenAll(stops.Select(stop => stop()));
        try
        {
            await all.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _runtime.Abort();
            await all.ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(CancellationToken.None));

    private void Register(Func<Task> stop)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                throw new ActorHostStoppedException("The actor host is stopped.");
            }

            _stops.Add(stop);
        }
    }
}
