namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// What an entity persists in place of its event when the event changes read tables: the journal stores
/// <paramref name="Event"/> alone (its own serializer and manifest; replay gives back the bare event) and turns
/// <paramref name="Rows"/> into statements of the same transaction, as Akka's <c>Tagged</c> is unwrapped for its tags.
/// </summary>
internal sealed record WithReadModel(object Event, ReadModelRows Rows);
