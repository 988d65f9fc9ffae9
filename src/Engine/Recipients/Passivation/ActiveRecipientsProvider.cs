using Akka.Actor;

namespace Messaging.Engine.Recipients.Passivation;

/// <summary>Akka's extension id for <see cref="ActiveRecipients"/>.</summary>
internal sealed class ActiveRecipientsProvider : ExtensionIdProvider<ActiveRecipients>
{
    public override ActiveRecipients CreateExtension(ExtendedActorSystem system) => new(system);
}
