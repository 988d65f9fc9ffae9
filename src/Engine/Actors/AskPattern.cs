namespace Messaging.Engine.Actors;

/// <summary>Ask: post a message that carries a <see cref="Reply{T}"/>, then wait for it within a timeout.</summary>
internal static class AskPattern
{
    public static async Task<TReply> AskAsync<TMessage, TReply>(
        string target,
        Func<Envelope<TMessage>, CancellationToken, ValueTask> post,
        Func<Reply<TReply>, TMessage> build,
        TimeSpan timeout,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var reply = new Reply<TReply>();
        var message = build(reply);
        // The timeout covers the whole exchange, including a wait for room in a full mailbox.
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await post(new Envelope<TMessage>(message, reply), linked.Token).ConfigureAwait(false);
            return await reply.Task.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new AskTimeoutException($"{target} did not answer {message} within {timeout.TotalMilliseconds:0} ms.");
        }
    }
}
