namespace Messaging.Engine.Actors;

/// <summary>A message no actor could handle, and why. Published, never dropped silently.</summary>
public sealed record DeadLetter(string Actor, object? Message, string Reason, Exception? Exception, int Attempts)
{
    public override string ToString() => $"DeadLetter({Actor}: {Reason} after {Attempts} attempt(s); {Message})";
}
