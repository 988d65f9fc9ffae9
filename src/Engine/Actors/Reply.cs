namespace Messaging.Engine.Actors;

/// <summary>The runtime's side of a reply: it fails one that the actor could not answer (poison, shutdown).</summary>
internal interface IReplyTo
{
    void Fail(Exception exception);
}

/// <summary>
/// Where an actor answers an Ask. A message that expects an answer carries one; the actor calls
/// <see cref="Complete"/> or <see cref="Fail"/> once (later calls are ignored, so a retried message cannot answer twice).
/// </summary>
public sealed class Reply<T> : IReplyTo
{
    // The asker resumes on the thread pool, never inside the actor's turn.
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public void Complete(T value) => _completion.TrySetResult(value);

    public void Fail(Exception exception) => _completion.TrySetException(exception);
}
