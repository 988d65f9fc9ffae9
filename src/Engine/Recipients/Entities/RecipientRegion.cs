using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// The recipients' shard region, as the engine's callers reach it. Resolved when first asked, not when the callers are
/// built: a composition without the actor system (<c>AddEngineActorSystem</c>) still builds, and fails only if it routes
/// a message to a recipient.
/// </summary>
public sealed class RecipientRegion(IServiceProvider services)
{
    // Asked once per request: looked up once, then kept (the region lives as long as the actor system, as this does).
    private IActorRef? _actorRef;

    public IActorRef ActorRef => _actorRef ??= services.GetRequiredService<IRequiredActor<RecipientEntity>>().ActorRef;
}
