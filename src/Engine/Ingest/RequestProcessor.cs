using Akka.Actor;
using Messaging.Contracts.Validation;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Sending;
using Messaging.Engine.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Ingest;

/// <summary>
/// What happens to one received request: read and validate it, ask its recipient's entity (through the shard region),
/// and turn the outcome into an ack, a delay, or a dead-letter entry. Every path ends in one of those: nothing is
/// dropped silently.
/// </summary>
internal sealed partial class RequestProcessor(
    RecipientRegion recipients,
    DeadLetterWriter deadLetters,
    IAmazonSQS sqs,
    IOptions<SendingOptions> sending,
    TimeProvider timeProvider,
    ILogger<RequestProcessor> logger,
    EngineMetrics metrics)
{
    /// <summary>SQS counts a message's 12-hour visibility limit from its receive; stay safely inside it.</summary>
    private static readonly TimeSpan LongestDelay = TimeSpan.FromHours(11);

    /// <summary>On a request's fresh copy: how many copies were made because its entity did not answer in time.</summary>
    public const string UnansweredCopiesAttribute = "unansweredCopies";

    /// <summary>SQS's longest per-message delay.</summary>
    private static readonly TimeSpan LongestMessageDelay = TimeSpan.FromMinutes(15);

    public async Task ProcessAsync(InFlightRequest inFlight, CancellationToken cancellationToken)
    {
        var message = inFlight.Message;
        var lane = inFlight.Lane;
        var read = RequestReader.Read(message.Body, timeProvider.GetUtcNow());
        if (!read.IsValid)
        {
            LogInvalid(read.MessageId, message.MessageId, read.Describe());
            metrics.RequestDecided("invalid");
            await RecordRejectionAsync(read, cancellationToken).ConfigureAwait(false);
            await DeadLetterAsync(inFlight, new DeadLetterReason(
                $"invalid request: {read.Describe()}", message.ApproximateReceiveCount, null, read.MessageId), cancellationToken).ConfigureAwait(false);
            return;
        }

        var request = read.Request!;
        var key = RecipientKey.For(request.Channel, request.To);
        DeliveryOutcome outcome;
        try
        {
            var deliver = new Deliver(key, request, lane.Priority, message.StringAttribute(DeadLetterWriter.RedrivenByAttribute), inFlight.IsLastReceive);
            outcome = await recipients.ActorRef.Ask<DeliveryOutcome>(deliver, sending.Value.DeliveryTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown gave up on it: the source makes it visible again, and its entity (on whichever node) stops waiting
            // for the send rate for it, unless its send intent is already written.
            recipients.ActorRef.Tell(new AbandonDelivery(key, request.MessageId));
            throw;
        }
        catch (AskTimeoutException e)
        {
            // No answer in time: Akka may have dropped the message (sharding drops what it buffered for a shard being
            // handed off), or the entity is still busy with it. Not a failure of the request: put it back without
            // counting an attempt. Its entity gives up waiting for the send rate for it (a send whose intent is written
            // goes through, and the next receive finds a duplicate), so no stale Deliver waits there for a later send.
            recipients.ActorRef.Tell(new AbandonDelivery(key, request.MessageId));
            metrics.Retried();
            await PutBackUnansweredAsync(inFlight, request.MessageId, Describe(e), cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (Exception e)
        {
            // The engine could not decide (storage down, the entity failed and restarts from its journal): retry later;
            // give up after MaxAttempts receives, with the reason.
            await RetryOrDeadLetterAsync(inFlight, request.MessageId, Describe(e), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (logger.IsEnabled(LogLevel.Debug))
        {
            // Not even the recipient key's text is made per request unless it is logged.
            LogOutcome(request.MessageId, key.ToString(), outcome.GetType().Name);
        }

        if (outcome is DeliveryOutcome.Unconfirmed unconfirmed)
        {
            // Not an error to retry, but the operator should know: the recipient may or may not have it.
            LogUnconfirmed(request.MessageId, key.ToString(), unconfirmed.Reason);
        }
        else if (outcome is DeliveryOutcome.Reconciling { Reason: var unknownReason, Due: var due })
        {
            LogReconciling(request.MessageId, key.ToString(), unknownReason, due);
        }

        metrics.RequestDecided(OutcomeName(outcome));
        if (outcome is DeliveryOutcome.Sent && message.SentAt is { } arrived)
        {
            metrics.RequestToSend(timeProvider.GetUtcNow() - arrived);
        }

        switch (outcome)
        {
            case { IsFinal: true }:
                inFlight.Settled = true;
                await lane.Acknowledger.AckAsync(message, cancellationToken).ConfigureAwait(false);
                break;
            case DeliveryOutcome.Reconciling reconciling:
                await PutBackAsync(inFlight, reconciling.Due - timeProvider.GetUtcNow(), $"recorded unknown, reconciled at {reconciling.Due:u}",
                    request.MessageId, cancellationToken).ConfigureAwait(false);
                break;
            case DeliveryOutcome.Scheduled scheduled:
                await PutBackAsync(inFlight, scheduled.NotBefore - timeProvider.GetUtcNow(), $"scheduled for {scheduled.NotBefore:u}", request.MessageId, cancellationToken).ConfigureAwait(false);
                break;
            case DeliveryOutcome.RetryLater retry:
                metrics.Retried();
                await PutBackAsync(inFlight, retry.Delay, retry.Reason, request.MessageId, cancellationToken).ConfigureAwait(false);
                break;
            case DeliveryOutcome.Paused paused:
                await RequeueAsync(inFlight, paused.Delay, cancellationToken).ConfigureAwait(false);
                break;
            case DeliveryOutcome.DeadLetter dead:
                await DeadLetterAsync(inFlight, new DeadLetterReason(dead.Reason, dead.Attempts, dead.FirstFailureAt, request.MessageId), cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"Unhandled delivery outcome {outcome} for {request.MessageId}.");
        }
    }

    /// <summary>
    /// When the invalid request still names a message id and a recipient, its rejection goes into that recipient's
    /// history too. Best effort: the DLQ entry carries the reason either way.
    /// </summary>
    private async Task RecordRejectionAsync(RequestReadResult read, CancellationToken cancellationToken)
    {
        // Only when who and which message are themselves valid: a bad address is no recipient to record against.
        if (read is not { MessageId: { } messageId, Channel: { } channel, To: { } to } ||
            read.Problems.Any(p => p.Path is "$.messageId" or "$.channel" or "$.to"))
        {
            return;
        }

        var key = RecipientKey.For(channel, to);

        try
        {
            await recipients.ActorRef.Ask<RejectionOutcome>(
                new RecordRejectedRequest(key, messageId, $"invalid request: {read.Describe()}"), sending.Value.DeliveryTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRejectionNotRecorded(messageId, Describe(e));
        }
    }

    private async Task RetryOrDeadLetterAsync(InFlightRequest inFlight, string messageId, string reason, CancellationToken cancellationToken)
    {
        var attempts = inFlight.Message.ApproximateReceiveCount;
        if (attempts >= sending.Value.MaxAttempts || inFlight.IsLastReceive)
        {
            await DeadLetterAsync(inFlight, new DeadLetterReason(
                $"gave up after {attempts} attempt(s); last error: {reason}", attempts, inFlight.Message.FirstReceivedAt, messageId), cancellationToken).ConfigureAwait(false);
            return;
        }

        LogRetry(messageId, attempts, reason);
        await DelayAsync(inFlight, sending.Value.RetryDelay(attempts), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Puts back a request its entity did not answer. Receives spent waiting are not failed attempts, but they are not
    /// free either: on a standard queue the last receive makes a fresh copy (its receive count starts over), so the
    /// copies are counted in <see cref="UnansweredCopiesAttribute"/>, and the receive that would make copy number
    /// <c>MaxAttempts</c> dead-letters the request with the reason instead — an entity that never answers must not
    /// keep a request cycling forever.
    /// </summary>
    private async Task PutBackUnansweredAsync(InFlightRequest inFlight, string messageId, string why, CancellationToken cancellationToken)
    {
        // Only a standard queue's last receive makes a copy; every other case is an ordinary put-back.
        if (!inFlight.IsLastReceive || QueueDirectory.IsFifo(inFlight.Lane.Name))
        {
            await PutBackAsync(inFlight, sending.Value.RetryDelay(1), why, messageId, cancellationToken).ConfigureAwait(false);
            return;
        }

        var copies = UnansweredCopies(inFlight.Message) + 1;
        if (copies >= sending.Value.MaxAttempts)
        {
            await DeadLetterAsync(inFlight, new DeadLetterReason(
                $"its recipient's entity did not answer within {sending.Value.DeliveryTimeout} on any receive of {copies} cop(ies) of the request; last: {why}",
                inFlight.Message.ApproximateReceiveCount, inFlight.Message.FirstReceivedAt, messageId), cancellationToken).ConfigureAwait(false);
            return;
        }

        await RequeueAsync(inFlight, sending.Value.RetryDelay(1), cancellationToken,
            new KeyValuePair<string, MessageAttributeValue>(UnansweredCopiesAttribute, MessageAttributeValue.Number(copies))).ConfigureAwait(false);
    }

    private static int UnansweredCopies(Message message) =>
        message.MessageAttributes?.TryGetValue(UnansweredCopiesAttribute, out var value) == true &&
        int.TryParse(value.StringValue, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var copies)
            ? copies
            : 0;

    /// <summary>
    /// Hides the request until it is due again. On its queue's last allowed receive that would hand it to SQS's redrive
    /// backstop (no reason); a standard queue then takes a fresh, delayed copy instead (receive count starts over), and a
    /// FIFO queue, which takes no per-message delay, dead-letters it with the reason.
    /// </summary>
    private async Task PutBackAsync(InFlightRequest inFlight, TimeSpan delay, string why, string messageId, CancellationToken cancellationToken)
    {
        if (!inFlight.IsLastReceive)
        {
            await DelayAsync(inFlight, delay, cancellationToken).ConfigureAwait(false);
        }
        else if (!QueueDirectory.IsFifo(inFlight.Lane.Name))
        {
            await RequeueAsync(inFlight, delay, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var attempts = inFlight.Message.ApproximateReceiveCount;
            await DeadLetterAsync(inFlight, new DeadLetterReason(
                $"received {attempts} time(s), the most its queue allows before SQS moves it without a reason; last: {why}",
                attempts, inFlight.Message.FirstReceivedAt, messageId), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Puts a paused request back as a new message, delayed, and deletes the one received: a pause may last longer
    /// than the queue's redrive policy allows receives, and must not push the request to the dead-letter queue. FIFO
    /// queues take no per-message delay; there the request is hidden instead, and a pause longer than
    /// (MaxAttempts + 2) × the delay lets SQS move it to the DLQ, from where it can be redriven.
    /// </summary>
    private async Task RequeueAsync(InFlightRequest inFlight, TimeSpan delay, CancellationToken cancellationToken,
        KeyValuePair<string, MessageAttributeValue>? copyAttribute = null)
    {
        if (QueueDirectory.IsFifo(inFlight.Lane.Name))
        {
            await DelayAsync(inFlight, delay, cancellationToken).ConfigureAwait(false);
            return;
        }

        var attributes = inFlight.Message.MessageAttributes;
        if (copyAttribute is { } added)
        {
            attributes = new Dictionary<string, MessageAttributeValue>(attributes ?? []) { [added.Key] = added.Value };
        }

        var copy = await SqsErrors.TryAsync(ct => sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = inFlight.Lane.Url,
            MessageBody = inFlight.Message.Body,
            MessageAttributes = attributes,
            DelaySeconds = SqsMessageViews.Seconds(delay > LongestMessageDelay ? LongestMessageDelay : delay),
        }, ct), cancellationToken).ConfigureAwait(false);
        if (!copy.IsSuccess)
        {
            LogRequeueFailed(inFlight.Message.MessageId, copy.Error!.ToString());
            await DelayAsync(inFlight, delay, cancellationToken).ConfigureAwait(false);
            return;
        }

        inFlight.Settled = true;
        await inFlight.Lane.Acknowledger.AckAsync(inFlight.Message, cancellationToken).ConfigureAwait(false);
    }

    private async Task DelayAsync(InFlightRequest inFlight, TimeSpan delay, CancellationToken cancellationToken)
    {
        inFlight.Settled = true;
        var visibility = delay < TimeSpan.Zero ? TimeSpan.Zero : delay > LongestDelay ? LongestDelay : delay;
        var changed = await SqsErrors.TryAsync(
            ct => sqs.ChangeMessageVisibilityAsync(inFlight.Lane.Url, inFlight.Message.ReceiptHandle, SqsMessageViews.Seconds(visibility), ct),
            cancellationToken).ConfigureAwait(false);
        if (!changed.IsSuccess)
        {
            // The request reappears at its current visibility instead: sooner than planned, never lost.
            LogDelayFailed(inFlight.Message.MessageId, changed.Error!.ToString());
        }
    }

    /// <summary>An entity's failure names its cause already.</summary>
    private static string Describe(Exception e) => e is RecipientEntityException ? e.Message : $"{e.GetType().Name}: {e.Message}";

    private static string OutcomeName(DeliveryOutcome outcome) => outcome switch
    {
        DeliveryOutcome.Sent => "sent",
        DeliveryOutcome.Duplicate => "duplicate",
        DeliveryOutcome.Rejected => "rejected",
        DeliveryOutcome.Failed => "failed",
        DeliveryOutcome.Unconfirmed => "unconfirmed",
        DeliveryOutcome.Reconciling => "reconciling",
        DeliveryOutcome.Scheduled => "scheduled",
        DeliveryOutcome.RetryLater => "retry",
        DeliveryOutcome.Paused => "paused",
        DeliveryOutcome.DeadLetter => "dead_letter",
        _ => "other",
    };

    private async Task DeadLetterAsync(InFlightRequest inFlight, DeadLetterReason reason, CancellationToken cancellationToken)
    {
        inFlight.Settled = true;
        var sent = await deadLetters.SendAsync(
            inFlight.Lane.Name, inFlight.Message, reason, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (!sent.IsSuccess)
        {
            // Not deleted: the request comes back and is dead-lettered again (the queue's redrive policy is the backstop).
            LogDeadLetterFailed(reason.MessageId, sent.Error!.ToString());
            return;
        }

        // Counted only once it is written: a failed write is not a dead letter.
        metrics.DeadLettered(inFlight.Lane.Name);
        LogDeadLettered(reason.MessageId, inFlight.Lane.Name, reason.Error);
        await inFlight.Lane.Acknowledger.AckAsync(inFlight.Message, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The rejection of invalid request {MessageId} was not recorded in its recipient's history ({Reason}); its DLQ entry has the reason")]
    private partial void LogRejectionNotRecorded(string messageId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {MessageId} to {RecipientKey}: {Outcome}")]
    private partial void LogOutcome(string messageId, string recipientKey, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {MessageId} to {RecipientKey} is recorded unknown: {Reason}")]
    private partial void LogUnconfirmed(string messageId, string recipientKey, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {MessageId} to {RecipientKey} is recorded unknown ({Reason}); it is kept until {Due} for a provider Send event, then sent once more")]
    private partial void LogReconciling(string messageId, string recipientKey, string reason, DateTimeOffset due);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invalid request {MessageId} (SQS message {SqsMessageId}): {Problems}")]
    private partial void LogInvalid(string? messageId, string sqsMessageId, string problems);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {MessageId} failed on attempt {Attempt} and will be retried: {Reason}")]
    private partial void LogRetry(string messageId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {MessageId} went to the dead-letter queue from {Queue}: {Reason}")]
    private partial void LogDeadLettered(string? messageId, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {MessageId} could not be written to the dead-letter queue ({Reason}); it stays on its queue")]
    private partial void LogDeadLetterFailed(string? messageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delay SQS message {SqsMessageId} ({Reason}); it reappears at its current visibility")]
    private partial void LogDelayFailed(string sqsMessageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Putting paused request {SqsMessageId} back failed ({Reason}); it is hidden on its queue instead")]
    private partial void LogRequeueFailed(string sqsMessageId, string reason);
}
