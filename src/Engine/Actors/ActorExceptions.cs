namespace Messaging.Engine.Actors;

/// <summary>No reply came within the Ask's timeout. The message may still be handled later.</summary>
public sealed class AskTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// The supervisor gave up on a message after it failed <see cref="Attempts"/> times in a row; the inner exception is
/// the last failure. The caller decides where poison goes (the pipeline: the DLQ).
/// </summary>
public sealed class PoisonMessageException(string message, int attempts, Exception innerException)
    : Exception(message, innerException)
{
    public int Attempts { get; } = attempts;
}

/// <summary>The actor host is stopping or stopped and takes no new messages.</summary>
public sealed class ActorHostStoppedException(string message) : InvalidOperationException(message);
