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
/// What becomes of one received request: read and validate it, ask its recipient's entity (through the shard region),
/// and turn the outcome into a <see cref="RequestSettlement"/> — a delete, a delay, a fresh copy, or a dead-letter
/// entry. Every path ends in one of those: nothing is dropped silently. The queue calls themselves are
/// <see cref="RequestSettler"/>'s.
/// </summary>
internal sealed partial class RequestProcessor(
    RecipientRegion recipients,
    IOptions<SendingOptions> sending,
    TimeProvider timeProvider,
    ILogger<RequestProcessor> logger,
    EngineMetrics metrics)
{
    /// <summary>On a request's fresh copy: how many copies were made because its entity did not answer in time.</summary>
    public const string UnansweredCopiesAttribute = "unansweredCopies";

    /// <param name="abandon">Fires when shutdown gives up on the request: it is released, and its entity told.</param>
    public async Task<RequestSettlement> DecideAsync(ReceivedRequest received, CancellationToken abandon)
    {
        var message = received.Message;
        var read = RequestReader.Read(message.Body, timeProvider.GetUtcNow());
        if (!read.IsValid)
        {
            LogInvalid(read.MessageId, message.MessageId, read.Describe());
            metrics.RequestDecided("invalid");
            await RecordRejectionAsync(read, abandon).ConfigureAwait(false);
            return new RequestSettlement.DeadLetter(new DeadLetterReason(
                $"invalid request: {read.Describe()}", message.ApproximateReceiveCount, null, read.MessageId));
        }

        var request = read.Request!;
        var key = RecipientKey.For(request.Channel, request.To);
        DeliveryOutcome outcome;
        try
        {
            // Told to the region before the first await: requests reach their entities in the order they were received.
            var deliver = new Deliver(key, request, received.Queue.Priority, message.StringAttribute(DeadLetterWriter.RedrivenByAttribute), received.IsLastReceive);
            outcome = await recipients.ActorRef.Ask<DeliveryOutcome>(deliver, sending.Value.DeliveryTimeout, abandon).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            // Shutdown gave up on it: it is made visible again, and its entity (on whichever node) stops waiting for the
            // send rate for it, unless its send intent is already written.
            recipients.ActorRef.Tell(new AbandonDelivery(key, request.MessageId));
            return new RequestSettlement.Release();
        }
        catch (AskTimeoutException e)
        {
            // No answer in time: Akka may have dropped the message (sharding drops what it buffered for a shard being
            // handed off), or the entity is still busy with it. Not a failure of the request: put it back without
            // counting an attempt. Its entity gives up waiting for the send rate for it (a send whose intent is written
            // goes through, and the next receive finds a duplicate), so no stale Deliver waits there for a later send.
            recipients.ActorRef.Tell(new AbandonDelivery(key, request.MessageId));
            metrics.Retried();
            return PutBackUnanswered(received, request.MessageId, Describe(e));
        }
        catch (Exception e)
        {
            // The engine could not decide (storage down, the entity failed and restarts from its journal): retry later;
            // give up after MaxAttempts receives, with the reason.
            return RetryOrDeadLetter(received, request.MessageId, Describe(e));
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
                return new RequestSettlement.Delete();
            case DeliveryOutcome.Reconciling reconciling:
                return PutBack(received, reconciling.Due - timeProvider.GetUtcNow(), $"recorded unknown, reconciled at {reconciling.Due:u}", request.MessageId);
            case DeliveryOutcome.Scheduled scheduled:
                return PutBack(received, scheduled.NotBefore - timeProvider.GetUtcNow(), $"scheduled for {scheduled.NotBefore:u}", request.MessageId);
            case DeliveryOutcome.RetryLater retry:
                metrics.Retried();
                return PutBack(received, retry.Delay, retry.Reason, request.MessageId);
            case DeliveryOutcome.Paused paused:
                return Requeue(received, paused.Delay);
            case DeliveryOutcome.DeadLetter dead:
                return new RequestSettlement.DeadLetter(new DeadLetterReason(dead.Reason, dead.Attempts, dead.FirstFailureAt, request.MessageId));
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
        catch (Exception e)
        {
            LogRejectionNotRecorded(messageId, Describe(e));
        }
    }

    private RequestSettlement RetryOrDeadLetter(ReceivedRequest received, string messageId, string reason)
    {
        var attempts = received.Message.ApproximateReceiveCount;
        if (attempts >= sending.Value.MaxAttempts || received.IsLastReceive)
        {
            return new RequestSettlement.DeadLetter(new DeadLetterReason(
                $"gave up after {attempts} attempt(s); last error: {reason}", attempts, received.Message.FirstReceivedAt, messageId));
        }

        LogRetry(messageId, attempts, reason);
        return new RequestSettlement.Hide(sending.Value.RetryDelay(attempts));
    }

    /// <summary>
    /// Puts back a request its entity did not answer. Receives spent waiting are not failed attempts, but they are not
    /// free either: on a standard queue the last receive makes a fresh copy (its receive count starts over), so the
    /// copies are counted in <see cref="UnansweredCopiesAttribute"/>, and the receive that would make copy number
    /// <c>MaxAttempts</c> dead-letters the request with the reason instead — an entity that never answers must not
    /// keep a request cycling forever.
    /// </summary>
    private RequestSettlement PutBackUnanswered(ReceivedRequest received, string messageId, string why)
    {
        // Only a standard queue's last receive makes a copy; every other case is an ordinary put-back.
        if (!received.IsLastReceive || received.Queue.IsFifo)
        {
            return PutBack(received, sending.Value.RetryDelay(1), why, messageId);
        }

        var copies = UnansweredCopies(received.Message) + 1;
        if (copies >= sending.Value.MaxAttempts)
        {
            return new RequestSettlement.DeadLetter(new DeadLetterReason(
                $"its recipient's entity did not answer within {sending.Value.DeliveryTimeout} on any receive of {copies} cop(ies) of the request; last: {why}",
                received.Message.ApproximateReceiveCount, received.Message.FirstReceivedAt, messageId));
        }

        return new RequestSettlement.Copy(sending.Value.RetryDelay(1),
            new KeyValuePair<string, MessageAttributeValue>(UnansweredCopiesAttribute, MessageAttributeValue.Number(copies)));
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
    private static RequestSettlement PutBack(ReceivedRequest received, TimeSpan delay, string why, string messageId)
    {
        if (!received.IsLastReceive)
        {
            return new RequestSettlement.Hide(delay);
        }

        if (!received.Queue.IsFifo)
        {
            return new RequestSettlement.Copy(delay);
        }

        var attempts = received.Message.ApproximateReceiveCount;
        return new RequestSettlement.DeadLetter(new DeadLetterReason(
            $"received {attempts} time(s), the most its queue allows before SQS moves it without a reason; last: {why}",
            attempts, received.Message.FirstReceivedAt, messageId));
    }

    /// <summary>
    /// Puts a paused request back as a new message, delayed: a pause may last longer than the queue's redrive policy
    /// allows receives, and must not push the request to the dead-letter queue. FIFO queues take no per-message delay;
    /// there the request is hidden instead, and a pause longer than (MaxAttempts + 2) × the delay lets SQS move it to
    /// the DLQ, from where it can be redriven.
    /// </summary>
    private static RequestSettlement Requeue(ReceivedRequest received, TimeSpan delay) =>
        received.Queue.IsFifo ? new RequestSettlement.Hide(delay) : new RequestSettlement.Copy(delay);

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
}
