using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Ingest;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Feedback;

/// <summary>
/// Publishes <c>MessageStatusChanged</c> events from the outbox to <see cref="IngestOptions.StatusQueue"/>, ten to a
/// call, oldest first; runs only when a status queue is configured. An event is deleted from the outbox only after
/// SQS took it: at least once, in the order each node claims them.
/// </summary>
internal sealed partial class StatusPublisher(
    StatusOutbox outbox, IAmazonSQS sqs, QueueDirectory queues, IOptions<IngestOptions> options, TimeProvider timeProvider,
    ILogger<StatusPublisher> logger) : IHostedService
{
    private static readonly TimeSpan ClaimFor = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(500);

    private BackgroundLoop? _loop;
    private string? _queueUrl;
    private long _published;

    /// <summary>Status events published by this node so far.</summary>
    public long Published => Interlocked.Read(ref _published);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.StatusQueueName is null)
        {
            return Task.CompletedTask;
        }

        _loop = new BackgroundLoop("status publisher", PublishOnceAsync, Idle, TimeSpan.FromSeconds(30), timeProvider, logger);
        _loop.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _loop, null) is { } loop)
        {
            await loop.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<bool> PublishOnceAsync(CancellationToken stopping)
    {
        var now = timeProvider.GetUtcNow();
        var entries = await outbox.ClaimAsync(SqsMessageViews.MaxBatchSize, now, now + ClaimFor, stopping).ConfigureAwait(false);
        if (entries.Count == 0)
        {
            return false;
        }

        _queueUrl ??= (await queues.UrlOfAsync(options.Value.StatusQueueName!, stopping).ConfigureAwait(false)).Value;
        var batch = entries
            .Select(e => new SendMessageBatchRequestEntry(e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Payload))
            .ToList();
        // A failure of the whole call throws here; the loop tries again and the claimed entries go again when their claim expires.
        var sent = (await SqsErrors.TryAsync(ct => sqs.SendMessageBatchAsync(_queueUrl, batch, ct), stopping).ConfigureAwait(false)).Value;
        var failed = sent.Failed ?? [];
        var published = entries.Where(e => !failed.Exists(f => f.Id == e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))).Select(e => e.Id).ToList();
        await outbox.DeleteAsync(published, stopping).ConfigureAwait(false);
        Interlocked.Add(ref _published, published.Count);
        if (published.Count < entries.Count)
        {
            // The rest stay claimed until their claim expires, then go again.
            LogSomeFailed(entries.Count - published.Count, string.Join("; ", failed.Select(f => $"{f.Id}: {f.Code} {f.Message}")));
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} status events were not taken by the status queue ({Errors}); they are published again")]
    private partial void LogSomeFailed(int count, string errors);
}
