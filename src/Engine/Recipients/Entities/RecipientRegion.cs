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
    public IActorRef ActorRef => services.GetRequiredService<IRequiredActor<RecipientEntity>>().ActorRef;
}
