using System.Globalization;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Feedback;

/// <summary>
/// Status events from the outbox to the status queue as one Akka.Streams graph, top to bottom:
/// <code>
///   ── claiming stops here at shutdown (the kill switch) ──
///   claim     up to ten unclaimed events, oldest first, for 60 s; when there are none, look again after 500 ms
///   send      one SendMessageBatch per claim, in claim order
///   delete    the events SQS took, from the outbox
/// </code>
/// At least once: an event leaves the outbox only after SQS took it. One SQS refused stays claimed and goes again when
/// its claim expires; so does every event of a call that failed, of a claim waiting behind it when the graph failed,
/// or of a node that died mid-publish. A failed claim, call or delete fails the graph, which starts again after a backoff.
/// </summary>
internal sealed partial class StatusGraph(StatusOutbox outbox, IAmazonSQS sqs, string queueName, string queueUrl, TimeProvider timeProvider, ILogger logger)
{
    /// <summary>How long a claim keeps other nodes off an event being published.</summary>
    public static readonly TimeSpan ClaimFor = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(500);
    private static readonly RestartSettings Restarts = RestartSettings.Create(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2);

    private long _published;
    private long _claimsLeftToExpire;

    /// <summary>Claiming stops when this is shut down; what was claimed is published (or left to its claim) first.</summary>
    public SharedKillSwitch Claiming { get; } = KillSwitches.Shared("status-claiming");

    /// <summary>Status events published (and deleted from the outbox) so far.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>
    /// Times claimed events were left in the outbox until their claim expires: a SendMessageBatch call refused or never
    /// answered, entries of one the queue refused, or a delete from the outbox that failed.
    /// </summary>
    public long ClaimsLeftToExpire => Interlocked.Read(ref _claimsLeftToExpire);

    /// <summary>Starts the graph; the task completes once claiming has stopped and what was claimed is settled.</summary>
    /// <param name="stopping">Ends an idle wait in progress at shutdown.</param>
    public Task Run(IMaterializer materializer, CancellationToken stopping) =>
        Create(stopping).RunWith(Sink.Ignore<IReadOnlyList<OutboxEntry>>(), materializer);

    /// <summary>The graph as a source of the events it published, a batch per call (see <see cref="Run"/>).</summary>
    public Source<IReadOnlyList<OutboxEntry>, NotUsed> Create(CancellationToken stopping) =>
        RestartSource.OnFailuresWithBackoff(() => Publishing(stopping), Restarts);

    private Source<IReadOnlyList<OutboxEntry>, NotUsed> Publishing(CancellationToken stopping) =>
        Source.Repeat(NotUsed.Instance)
            .Via(Claiming.Flow<NotUsed>())
            .SelectAsync(1, _ => ClaimAsync(stopping))
            .Where(claimed => claimed.Count > 0)
            .SelectAsync(1, SendAsync)
            .SelectAsync(1, DeleteAsync);

    private async Task<IReadOnlyList<OutboxEntry>> ClaimAsync(CancellationToken stopping)
    {
        var now = timeProvider.GetUtcNow();
        IReadOnlyList<OutboxEntry> claimed;
        try
        {
            // Not cancelled at shutdown: what a claim took is published before the graph ends, not left to its claim.
            claimed = await outbox.ClaimAsync(SqsMessageViews.MaxBatchSize, now, now + ClaimFor, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogClaimFailed(e);
            throw;
        }

        if (claimed.Count == 0 && !stopping.IsCancellationRequested)
        {
            // Nothing waiting: look again after a pause rather than query the outbox in a spin.
            await Task.Delay(Idle, timeProvider, stopping).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }

        return claimed;
    }

    private async Task<SentBatch> SendAsync(IReadOnlyList<OutboxEntry> claimed)
    {
        var batch = claimed.Select(e => new SendMessageBatchRequestEntry(EntryId(e), e.Payload)).ToList();
        // Not cancelled at shutdown: a call given up might still have been taken, and its events would go twice.
        var answer = await SqsErrors.TryAsync(ct => sqs.SendMessageBatchAsync(queueUrl, batch, ct), CancellationToken.None).ConfigureAwait(false);
        if (!answer.TryGetValue(out var sent, out var error))
        {
            Interlocked.Increment(ref _claimsLeftToExpire);
            LogSendFailed(claimed.Count, queueName, error.ToString());
            throw new StatusPublishException($"Publishing {claimed.Count} status events to {queueName} failed: {error}");
        }

        var failed = sent.Failed ?? [];
        if (failed.Count > 0)
        {
            // The rest stay claimed until their claim expires, then go again.
            LogSomeFailed(failed.Count, string.Join("; ", failed.Select(f => $"{f.Id}: {f.Code} {f.Message}")));
        }

        return new SentBatch(claimed.Where(e => !failed.Exists(f => f.Id == EntryId(e))).ToList(), failed.Count);
    }

    private async Task<IReadOnlyList<OutboxEntry>> DeleteAsync(SentBatch sent)
    {
        var published = sent.Published;
        try
        {
            // Not cancelled at shutdown: an event published but left in the outbox is published again.
            await outbox.DeleteAsync(published.Select(e => e.Id).ToList(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _claimsLeftToExpire);
            LogDeleteFailed(e, published.Count);
            throw;
        }

        Interlocked.Add(ref _published, published.Count);
        if (sent.Refused > 0)
        {
            // Counted once the accepted ones are out of the outbox: until then their claim keeps them from going twice.
            Interlocked.Increment(ref _claimsLeftToExpire);
        }

        return published;
    }

    private static string EntryId(OutboxEntry entry) => entry.Id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The events a SendMessageBatch call published, and how many of its entries the queue refused.</summary>
    private sealed record SentBatch(IReadOnlyList<OutboxEntry> Published, int Refused);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming status events failed; the status publisher starts again after a backoff")]
    private partial void LogClaimFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Count} status events to {Queue} failed ({Reason}); they go again when their claim expires, after a backoff")]
    private partial void LogSendFailed(int count, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} status events were not taken by the status queue ({Errors}); they are published again")]
    private partial void LogSomeFailed(int count, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting {Count} published status events from the outbox failed; they will be published again")]
    private partial void LogDeleteFailed(Exception exception, int count);
}
