using Messaging.Engine.Persistence.Sql;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// A change the plugin queues on the group commit: every change of the plugin's tables goes through the one writer, so
/// one persistence id's changes are applied in the order they were asked for, and SQLite sees a single writer.
/// </summary>
internal abstract class StoreWrite : IBatchedWrite
{
    // Continuations run asynchronously so that nothing resumes on the writer's loop.
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected StoreWrite(string persistenceId) => PersistenceIds = [persistenceId];

    protected StoreWrite(IReadOnlyList<string> persistenceIds) => PersistenceIds = persistenceIds;

    /// <summary>The ids this change touches (an Akka write call may span several entities).</summary>
    public IReadOnlyList<string> PersistenceIds { get; }

    public Task Completion => _completion.Task;

    public bool IsCompleted => _completion.Task.IsCompleted;

    public void Complete() => _completion.TrySetResult();

    public void Fail(Exception exception) => _completion.TrySetException(exception);

    /// <summary>
    /// Adds the statements that decide whether this change, or part of it, goes in: every change's guards run first in
    /// the transaction, then <see cref="Guarded"/> tells each what its own touched, then <see cref="AddTo"/> is called.
    /// </summary>
    public virtual void AddGuardsTo(StatementBatch statements)
    {
    }

    /// <summary>The rows each of this change's guards touched (in this transaction: a retried batch runs them again).</summary>
    public virtual void Guarded(ReadOnlySpan<int> affected)
    {
    }

    /// <summary>Adds this change's statements to the batch's transaction.</summary>
    public abstract void AddTo(StatementBatch statements);

    /// <summary>Its transaction committed: the rows each of its statements touched, in the order they were added.</summary>
    public virtual void Committed(ReadOnlySpan<int> affected)
    {
    }
}
