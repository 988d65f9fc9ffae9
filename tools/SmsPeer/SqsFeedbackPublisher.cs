using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;

namespace Messaging.SmsPeer;

/// <summary>
/// Puts the peer's event records on the engine's feedback queue, as End User Messaging's event destination would, with
/// an <see cref="AmazonSQSClient"/> signed with the peer's key (as every caller's calls are).
/// </summary>
public sealed class SqsFeedbackPublisher : IAsyncDisposable
{
    private readonly AmazonSQSClient _sqs;
    private readonly string _queue;
    private string? _queueUrl;

    /// <param name="sqsEndpoint">The SQS endpoint, e.g. the local SQS peer's.</param>
    /// <param name="queue">The feedback queue's name (the engine's <c>Engine:Ingest:FeedbackQueue</c>).</param>
    public SqsFeedbackPublisher(Uri sqsEndpoint, string queue, string region, string accessKey, string secretKey)
    {
        _queue = queue;
        _sqs = new AmazonSQSClient(
            new BasicAWSCredentials(accessKey, secretKey),
            new AmazonSQSConfig { ServiceURL = sqsEndpoint.ToString(), AuthenticationRegion = region });
    }

    /// <summary>Sends <paramref name="record"/> to the feedback queue; returns why it failed, or null.</summary>
    public async Task<string?> PublishAsync(string record, CancellationToken cancellationToken)
    {
        if (_queueUrl is null)
        {
            var url = await SqsErrors.TryAsync(ct => _sqs.GetQueueUrlAsync(_queue, ct), cancellationToken).ConfigureAwait(false);
            if (!url.TryGetValue(out var found, out var error))
            {
                return error.ToString();
            }

            _queueUrl = found.QueueUrl;
        }

        var sent = await SqsErrors.TryAsync(ct => _sqs.SendMessageAsync(_queueUrl, record, ct), cancellationToken).ConfigureAwait(false);
        return sent.IsSuccess ? null : sent.Error.ToString();
    }

    public ValueTask DisposeAsync()
    {
        _sqs.Dispose();
        return ValueTask.CompletedTask;
    }
}
