using Amazon.SQS;

namespace Messaging.Testing;

/// <summary>The four queues an engine process under test reads and writes, named from one prefix.</summary>
public static class EngineQueues
{
    /// <summary>Creates <c>{prefix}-requests</c>, <c>-dlq</c>, <c>-feedback</c> and <c>-feedback-dlq</c>; returns the request queue's URL.</summary>
    public static async Task<string> CreateAsync(IAmazonSQS sqs, string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sqs);
        var requests = (await sqs.CreateQueueAsync($"{prefix}-requests", cancellationToken).ConfigureAwait(false)).QueueUrl;
        await sqs.CreateQueueAsync($"{prefix}-dlq", cancellationToken).ConfigureAwait(false);
        await sqs.CreateQueueAsync($"{prefix}-feedback", cancellationToken).ConfigureAwait(false);
        await sqs.CreateQueueAsync($"{prefix}-feedback-dlq", cancellationToken).ConfigureAwait(false);
        return requests;
    }
}
