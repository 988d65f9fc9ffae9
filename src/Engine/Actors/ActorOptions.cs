namespace Messaging.Engine.Actors;

/// <summary>Mailboxes, passivation and supervision. Section <c>Engine:Actors</c>.</summary>
public sealed class ActorOptions
{
    public const string SectionName = "Engine:Actors";

    /// <summary>Messages an actor's mailbox holds; a sender to a full mailbox waits (or TryTell says no).</summary>
    public int MailboxCapacity { get; set; } = 256;

    /// <summary>An entity with no message for this long is passivated: its memory is released until the next message.</summary>
    public TimeSpan PassivateAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often idle entities are looked for.</summary>
    public TimeSpan PassivationScanInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Entities of one kind kept in memory at most: beyond it the least recently active idle ones are passivated
    /// at once, down to nine tenths of it, so memory stays bounded however fast new recipients arrive (at
    /// thousands a second, <see cref="PassivateAfter"/> alone would keep hundreds of thousands live).
    /// </summary>
    public int MaxLive { get; set; } = 25_000;

    /// <summary>Failures of one message in a row before it is escalated as poison.</summary>
    public int MaxConsecutiveFailures { get; set; } = 3;

    /// <summary>Messages an actor handles before it yields its thread to other actors.</summary>
    public int Throughput { get; set; } = 64;

    internal IEnumerable<string> Validate()
    {
        if (MailboxCapacity < 1)
        {
            yield return $"{SectionName}:MailboxCapacity must be at least 1.";
        }

        if (PassivateAfter <= TimeSpan.Zero || PassivationScanInterval <= TimeSpan.Zero)
        {
            yield return $"{SectionName}:PassivateAfter and PassivationScanInterval must be positive.";
        }

        if (MaxConsecutiveFailures < 1)
        {
            yield return $"{SectionName}:MaxConsecutiveFailures must be at least 1.";
        }

        if (MaxLive < 10)
        {
            yield return $"{SectionName}:MaxLive must be at least 10.";
        }

        if (Throughput < 1)
        {
            yield return $"{SectionName}:Throughput must be at least 1.";
        }
    }
}
