using Microsoft.Extensions.Hosting;

namespace Messaging.Engine.Actors;

/// <summary>Stops the actor host with the application: mailboxes drain within the host's shutdown timeout.</summary>
internal sealed class ActorHostLifetime(ActorHost actorHost) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => actorHost.StopAsync(cancellationToken);
}
