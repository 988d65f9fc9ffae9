namespace Messaging.Engine.Actors;

/// <summary>Receives dead letters. Implementations must not throw and must return quickly.</summary>
public interface IDeadLetterSink
{
    void Publish(DeadLetter deadLetter);
}
