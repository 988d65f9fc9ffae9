namespace Messaging.Engine.Recipients.Entities;

/// <summary>A message for one recipient's entity: the shard region routes it by <see cref="Key"/>.</summary>
public interface IRecipientMessage
{
    RecipientKey Key { get; }
}
