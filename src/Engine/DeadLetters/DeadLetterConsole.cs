using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Ingest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.DeadLetters;

/// <summary>Which dead-letter queue: the requests' or the feedback's.</summary>
public enum DeadLetterQueueKind
{
    Requests,
    Feedback,
}

/// <summary>One dead-lettered message, with the reasons the engine attached.</summary>
public sealed record DeadLetterEntry(
    string SqsMessageId, string Body, string? Error, int? Attempts, string? SourceQueue, string? MessageId, string? DeadLetteredAt,
    int ReceiveCount);

/// <summary>
/// What a redrive or purge did: the SQS message ids handled, the selected ones not found, and those still on the
/// dead-letter queue, each with why in <paramref name="NotDeletedReasons"/>: either it could not be redriven (its stored
/// body is gone, or it is too large to carry its redrive mark), or SQS refused the delete (a redriven one is then on both
/// queues, and the engine's deduplication keeps it to one send).
/// </summary>
public sealed record DeadLetterAction(
    IReadOnlyList<string> Done, IReadOnlyList<string> NotFound, IReadOnlyList<string>? NotDeleted = null,
    IReadOnlyDictionary<string, string>? NotDeletedReasons = null);

/// <summary>
/// The operator's view of a dead-letter queue: peek without taking, redrive (all or selected) back to the queue each
/// message came from, purge (all or selected). A redriven request carries <see cref="DeadLetterWriter.RedrivenByAttribute"/>,
/// so a message the engine had dead-lettered is tried again instead of dead-lettered once more. A message whose body
/// was too large to go to the DLQ with its reasons is shown and redriven with its original body from
/// <see cref="DeadLetterBodyStore"/>.
/// </summary>
/// <remarks>
/// Every walk of a queue hides what it receives for a moment, so two walks at once would each miss what the other holds
/// (the dashboard peeks every two seconds while its operator clicks Redrive): walks in this process take turns, and a
/// redrive or purge of chosen messages keeps looking for a few seconds for any still hidden by a walk elsewhere.
/// </remarks>
public sealed partial class DeadLetterConsole(
    IAmazonSQS sqs, QueueDirectory queues, IOptions<IngestOptions> ingest, DeadLetterBodyStore bodies, TimeProvider time,
    ILogger<DeadLetterConsole> logger)
{
    // How long a message taken for a redrive or purge stays hidden while it is handled.
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(30);

    // How long a redrive or purge of chosen messages looks for those another node's or tool's walk still hides.
    private static readonly TimeSpan HiddenElsewhere = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _walk = new(1, 1);

    /// <summary>Up to <paramref name="max"/> messages, left on the queue (visible again at once).</summary>
    public Task<AwsResult<IReadOnlyList<DeadLetterEntry>>> PeekAsync(DeadLetterQueueKind kind, int max, CancellationToken cancellationToken) =>
        AloneAsync(() => PeekAloneAsync(kind, max, cancellationToken), cancellationToken);

    private async Task<AwsResult<IReadOnlyList<DeadLetterEntry>>> PeekAloneAsync(DeadLetterQueueKind kind, int max, CancellationToken cancellationToken)
    {
        var url = await UrlAsync(kind, cancellationToken).ConfigureAwait(false);
        if (!url.TryGetValue(out var queueUrl, out var error))
        {
            return AwsResult<IReadOnlyList<DeadLetterEntry>>.Failure(error);
        }

        var seen = new Dictionary<string, Message>();
        while (seen.Count < max)
        {
            var batch = await ReceiveAsync(queueUrl, Math.Min(SqsMessageViews.MaxBatchSize, max - seen.Count), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            if (!batch.TryGetValue(out var messages, out error))
            {
                return AwsResult<IReadOnlyList<DeadLetterEntry>>.Failure(error);
            }

            var fresh = messages.Where(m => seen.TryAdd(m.MessageId, m)).ToList();
            if (fresh.Count == 0)
            {
                break;
            }
        }

        // Peeking must not take them: make every one visible again.
        foreach (var message in seen.Values)
        {
            await ReleaseAsync(queueUrl, message, cancellationToken).ConfigureAwait(false);
        }

        var entries = new List<DeadLetterEntry>(seen.Count);
        foreach (var message in seen.Values)
        {
            entries.Add(Entry(message, await OriginalBodyAsync(message, cancellationToken).ConfigureAwait(false)));
        }

        return AwsResult<IReadOnlyList<DeadLetterEntry>>.Success(entries);
    }

    /// <summary>Sends the selected messages (all when <paramref name="selected"/> is empty) back where they came from.</summary>
    public Task<AwsResult<DeadLetterAction>> RedriveAsync(DeadLetterQueueKind kind, IReadOnlyCollection<string> selected, string by, CancellationToken cancellationToken) =>
        TakeAsync(kind, selected, async (message, ct) =>
        {
            var body = await OriginalBodyAsync(message, ct).ConfigureAwait(false);
            if (message.StringAttribute(DeadLetterWriter.StoredBodyAttribute) is { } storedId && body == message.Body)
            {
                // Never send the reference in place of the request it stands for.
                return AwsResult<Redrive>.Success(Redrive.Kept($"its body (stored as {storedId}) is no longer in the engine's store; not redriven. " +
                    "Peek it for its message id and reasons, have the producer send the request again, then purge it"));
            }

            var attributes = new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal)
            {
                [DeadLetterWriter.RedrivenByAttribute] = MessageAttributeValue.String(by),
            };
            if (!DeadLetterWriter.Fits(body, attributes))
            {
                // Without the mark, a request the engine dead-lettered would only be dead-lettered again.
                return AwsResult<Redrive>.Success(Redrive.Kept($"too large to redrive with its {DeadLetterWriter.RedrivenByAttribute} attribute " +
                    $"({System.Text.Encoding.UTF8.GetByteCount(body)} bytes, SQS takes at most {Messaging.Contracts.Validation.RequestReader.MaxBodyBytes}); not redriven. " +
                    "Peek it, have the producer send a smaller request (or a new message id), then purge it"));
            }

            var source = message.StringAttribute(DeadLetterWriter.SourceQueueAttribute)
                ?? (kind == DeadLetterQueueKind.Feedback ? ingest.Value.FeedbackQueue : ingest.Value.Queues[0].Name);
            var url = await queues.UrlOfAsync(source, ct).ConfigureAwait(false);
            if (!url.TryGetValue(out var sourceUrl, out var error))
            {
                return AwsResult<Redrive>.Failure(error);
            }

            var fifo = QueueDirectory.IsFifo(source);
            var request = new SendMessageRequest
            {
                QueueUrl = sourceUrl,
                MessageBody = body,
                MessageAttributes = attributes,
                MessageGroupId = fifo ? message.MessageGroupId ?? "redriven" : null,
                MessageDeduplicationId = fifo ? $"redrive-{message.MessageId}" : null,
            };
            var sent = await SqsErrors.TryAsync(c => sqs.SendMessageAsync(request, c), ct).ConfigureAwait(false);
            return sent.IsSuccess ? AwsResult<Redrive>.Success(Redrive.Done) : AwsResult<Redrive>.Failure(sent.Error!);
        }, cancellationToken);

    /// <summary>Deletes the selected messages (all when <paramref name="selected"/> is empty).</summary>
    public Task<AwsResult<DeadLetterAction>> PurgeAsync(DeadLetterQueueKind kind, IReadOnlyCollection<string> selected, CancellationToken cancellationToken) =>
        TakeAsync(kind, selected, (_, _) => Task.FromResult(AwsResult<Redrive>.Success(Redrive.Done)), cancellationToken);

    /// <summary>Receives until the queue has no more, acts on each selected message, and deletes it once the action succeeded.</summary>
    private Task<AwsResult<DeadLetterAction>> TakeAsync(
        DeadLetterQueueKind kind, IReadOnlyCollection<string> selected, Func<Message, CancellationToken, Task<AwsResult<Redrive>>> act,
        CancellationToken cancellationToken) =>
        AloneAsync(() => TakeAloneAsync(kind, selected, act, cancellationToken), cancellationToken);

    /// <summary>Runs one walk of a queue once no other walk of this process is under way.</summary>
    private async Task<T> AloneAsync<T>(Func<Task<T>> walk, CancellationToken cancellationToken)
    {
        await _walk.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await walk().ConfigureAwait(false);
        }
        finally
        {
            _walk.Release();
        }
    }

    private async Task<AwsResult<DeadLetterAction>> TakeAloneAsync(
        DeadLetterQueueKind kind, IReadOnlyCollection<string> selected, Func<Message, CancellationToken, Task<AwsResult<Redrive>>> act,
        CancellationToken cancellationToken)
    {
        var url = await UrlAsync(kind, cancellationToken).ConfigureAwait(false);
        if (!url.TryGetValue(out var queueUrl, out var error))
        {
            return AwsResult<DeadLetterAction>.Failure(error);
        }

        var done = new List<string>();
        var notDeleted = new List<string>();
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        var skipped = new List<Message>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lookUntil = time.GetUtcNow() + HiddenElsewhere;
        var wait = TimeSpan.Zero;
        try
        {
            while (true)
            {
                var batch = await ReceiveAsync(queueUrl, SqsMessageViews.MaxBatchSize, wait, cancellationToken).ConfigureAwait(false);
                if (!batch.TryGetValue(out var messages, out error))
                {
                    return AwsResult<DeadLetterAction>.Failure(error);
                }

                var fresh = messages.Where(m => seen.Add(m.MessageId)).ToList();
                if (fresh.Count == 0)
                {
                    // A chosen message not seen yet may be hidden by a walk elsewhere for a moment: wait for it, briefly.
                    if (selected.Any(id => !seen.Contains(id)) && time.GetUtcNow() < lookUntil)
                    {
                        wait = TimeSpan.FromSeconds(1);
                        continue;
                    }

                    break;
                }

                foreach (var message in fresh)
                {
                    if (selected.Count > 0 && !selected.Contains(message.MessageId))
                    {
                        skipped.Add(message);
                        continue;
                    }

                    var acted = await act(message, cancellationToken).ConfigureAwait(false);
                    if (!acted.TryGetValue(out var redrive, out error))
                    {
                        return AwsResult<DeadLetterAction>.Failure(error);
                    }

                    if (redrive.KeptBecause is { } kept)
                    {
                        // Left on the dead-letter queue (visible again at the end, like the skipped ones) with the reason.
                        notDeleted.Add(message.MessageId);
                        reasons[message.MessageId] = kept;
                        skipped.Add(message);
                        continue;
                    }

                    // Deleted only after it is safely back on its queue: a message is never in neither.
                    var deleted = await SqsErrors.TryAsync(
                        ct => sqs.DeleteMessageBatchAsync(queueUrl, [new DeleteMessageBatchRequestEntry(message.MessageId, message.ReceiptHandle)], ct),
                        cancellationToken).ConfigureAwait(false);
                    if (deleted is { IsSuccess: true, Value.Failed: null or [] })
                    {
                        done.Add(message.MessageId);
                        if (message.StringAttribute(DeadLetterWriter.StoredBodyAttribute) is { } storedId)
                        {
                            await DeleteStoredBodyAsync(message.MessageId, storedId, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        notDeleted.Add(message.MessageId);
                        reasons[message.MessageId] = $"SQS refused to delete it from the dead-letter queue ({(deleted.IsSuccess ? "partial failure" : deleted.Error)}); " +
                            "it was acted on, so a redriven one is on both queues and deduplication keeps it to one send; purge it";
                    }
                }

                if (selected.Count > 0 && selected.All(id => done.Contains(id) || notDeleted.Contains(id)))
                {
                    break;
                }
            }
        }
        finally
        {
            // What was looked at but not chosen is visible again at once.
            foreach (var message in skipped)
            {
                await ReleaseAsync(queueUrl, message, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return AwsResult<DeadLetterAction>.Success(new DeadLetterAction(
            done, selected.Where(s => !done.Contains(s) && !notDeleted.Contains(s)).ToList(), notDeleted, reasons));
    }

    /// <summary>The message left the DLQ: its stored body is garbage now. A failure here only delays that (retention removes it).</summary>
    private async Task DeleteStoredBodyAsync(string sqsMessageId, string storedId, CancellationToken cancellationToken)
    {
        try
        {
            await bodies.DeleteAsync(storedId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogStoredBodyNotDeleted(e, sqsMessageId, storedId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead letter {SqsMessageId} is done but its stored body {StoredId} could not be deleted; retention removes it later")]
    private partial void LogStoredBodyNotDeleted(Exception exception, string sqsMessageId, string storedId);

    private async Task<AwsResult<List<Message>>> ReceiveAsync(string queueUrl, int most, TimeSpan wait, CancellationToken cancellationToken)
    {
        var request = SqsMessageViews.ReceiveAll(queueUrl, most, wait, Hold);
        var received = await SqsErrors.TryAsync(ct => sqs.ReceiveMessageAsync(request, ct), cancellationToken).ConfigureAwait(false);
        return received.Map(response => response.Messages ?? []);
    }

    /// <summary>Visible again at once. A failure only leaves it hidden until its hold ends, so it is not reported.</summary>
    private Task<AwsResult<ChangeMessageVisibilityResponse>> ReleaseAsync(string queueUrl, Message message, CancellationToken cancellationToken) =>
        SqsErrors.TryAsync(ct => sqs.ChangeMessageVisibilityAsync(queueUrl, message.ReceiptHandle, 0, ct), cancellationToken);

    private Task<AwsResult<string>> UrlAsync(DeadLetterQueueKind kind, CancellationToken cancellationToken) =>
        queues.UrlOfAsync(kind == DeadLetterQueueKind.Feedback ? ingest.Value.FeedbackDeadLetterQueue : ingest.Value.DeadLetterQueue, cancellationToken);

    /// <summary>The body the message stands for: its own, or the original kept in the store when it carries a reference.</summary>
    private async Task<string> OriginalBodyAsync(Message message, CancellationToken cancellationToken) =>
        message.StringAttribute(DeadLetterWriter.StoredBodyAttribute) is { } storedId
            ? await bodies.LoadAsync(storedId, cancellationToken).ConfigureAwait(false) ?? message.Body
            : message.Body;

    private static DeadLetterEntry Entry(Message m, string body) => new(
        m.MessageId, body, m.StringAttribute(DeadLetterWriter.ErrorAttribute),
        int.TryParse(m.StringAttribute(DeadLetterWriter.AttemptsAttribute), NumberStyles.Integer, CultureInfo.InvariantCulture, out var attempts) ? attempts : null,
        m.StringAttribute(DeadLetterWriter.SourceQueueAttribute), m.StringAttribute(DeadLetterWriter.MessageIdAttribute),
        m.StringAttribute(DeadLetterWriter.DeadLetteredAtAttribute), m.ApproximateReceiveCount);
}
