namespace Messaging.Engine.Persistence;

/// <summary>One caller's write in the group-commit queue: the batch that carries it answers it, or fails it.</summary>
internal interface IBatchedWrite
{
    bool IsCompleted { get; }

    void Fail(Exception exception);
}
