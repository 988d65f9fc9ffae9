using Akka.Actor;

namespace Messaging.Engine.Queues;

/// <summary>
/// A stream's drain, run once by whichever asks first: the host stopping the service that runs it, or — on a node that
/// was downed and shuts its actor system down by itself — CoordinatedShutdown, before the entities the stream asks stop.
/// </summary>
internal sealed class ShutdownDrain(Func<Task> drain)
{
    private readonly Lazy<Task> _once = new(drain, LazyThreadSafetyMode.ExecutionAndPublication);

    public Task RunAsync() => _once.Value;

    /// <summary>Also runs it in CoordinatedShutdown's <c>before-service-unbind</c> phase, as task <paramref name="name"/>.</summary>
    public void RunAtCoordinatedShutdown(ActorSystem system, string name) =>
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, name, async () =>
        {
            await RunAsync().ConfigureAwait(false);
            return Akka.Done.Instance;
        });
}
