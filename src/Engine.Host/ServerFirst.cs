namespace Messaging.Host;

/// <summary>
/// The host starts its hosted services before the web server binds its port. The ones that take requests from the
/// queues and write to them (ingest, feedback, status events) must wait until it has: a port that is taken must stop the
/// engine before it has received or sent anything.
/// </summary>
internal static class ServerFirst
{
    private static readonly HashSet<string?> QueueWork = new(StringComparer.Ordinal) { "Messaging.Engine.Ingest", "Messaging.Engine.Feedback" };

    /// <summary>Wraps the queue workers registered so far so that they start once the server listens.</summary>
    public static IServiceCollection StartQueueWorkOnceListening(this IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var original = services[i];
            if (original.ServiceType == typeof(IHostedService) && !original.IsKeyedService)
            {
                services[i] = ServiceDescriptor.Singleton<IHostedService>(provider =>
                {
                    var service = (IHostedService)(original.ImplementationInstance
                        ?? original.ImplementationFactory?.Invoke(provider)
                        ?? ActivatorUtilities.CreateInstance(provider, original.ImplementationType!));
                    return QueueWork.Contains(service.GetType().Namespace) ? new StartedOnceListening(service) : service;
                });
            }
        }

        return services;
    }

    /// <summary>
    /// Starts <paramref name="inner"/> in the host's "started" phase, which runs only after every hosted service,
    /// the web server last, has started: after the port is bound, and never if binding failed.
    /// </summary>
    private sealed class StartedOnceListening(IHostedService inner) : IHostedLifecycleService
    {
        private bool _started;

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken)
        {
            _started = true;
            return inner.StartAsync(cancellationToken);
        }

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => _started ? inner.StopAsync(cancellationToken) : Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
