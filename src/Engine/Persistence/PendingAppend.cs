namespace Messaging.Engine.Persistence;

/// <summary>An append waiting in the group-commit queue, with the promise its caller awaits.</summary>
internal sealed class PendingAppend : IBatchedWrite
{
    // Continuations run asynchronously so an actor resuming after its append never runs on the writer's loop.
    private readonly TaskCompletionSource<AppendResult> _completion =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PendingAppend(AppendRequest request) => Request = request;

    public AppendRequest Request { get; }

    public Task<AppendResult> Completion => _completion.Task;

    public bool IsCompleted => _completion.Task.IsCompleted;

    public void Complete(AppendResult result) => _completion.TrySetResult(result);

    public void Fail(Exception exception) => _completion.TrySetException(exception);

    public override string ToString() => Request.ToString();
}
