namespace Messaging.Engine.DeadLetters;

/// <summary>What acting on one dead letter came to: done (delete it from the DLQ), or kept there for a reason.</summary>
internal sealed record Redrive(string? KeptBecause)
{
    public static readonly Redrive Done = new((string?)null);

    public static Redrive Kept(string reason) => new(reason);
}
