using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Actors;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Sms;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients.Events;
using Messaging.Engine.Throttling;

namespace Messaging.Engine.Recipients;

/// <summary>
/// One recipient: a thin shell around decisions. Receive → decide → persist → act → record → reply. State changes only
/// after the journal says the events are durable; a journal failure throws, and the supervisor restarts the actor
/// from storage. A conflict (another node wrote first) reloads the state and decides again — before a send; after a
/// send, what happened is a fact and is recorded on top of whatever the other node wrote.
/// </summary>
public sealed class RecipientActor(RecipientKey key, RecipientServices services) : Actor<RecipientCommand>
{
    /// <summary>Reload-and-decide rounds before a conflict is treated as a failure (the supervisor then retries).</summary>
    private const int MaxConflictRounds = 16;

    /// <summary>How soon a request due for reconciliation looks again while the feedback queue is not read up to its deadline.</summary>
    private static readonly TimeSpan FeedbackRecheck = TimeSpan.FromMinutes(1);

    private const string UnconfirmedAfterRestart =
        "a send was started but its result was never recorded (the engine stopped mid-call); not sent again";

    private RecipientState _state = RecipientState.Empty;
    private long _sequenceNr;

    protected internal override async ValueTask StartedAsync(CancellationToken cancellationToken) =>
        (_state, _sequenceNr) = await services.Journal.LoadAsync(key, cancellationToken).ConfigureAwait(false);

    protected internal override async ValueTask ReceiveAsync(RecipientCommand message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case DeliverRequest { Abandoned.IsCancellationRequested: true } abandoned:
                abandoned.Reply.Fail(new OperationCanceledException("The request was given back to its queue before it was handled.", abandoned.Abandoned));
                break;
            case DeliverRequest deliver:
                try
                {
                    deliver.Reply.Complete(await DeliverAsync(deliver, cancellationToken).ConfigureAwait(false));
                }
                catch (OperationCanceledException e) when (deliver.Abandoned.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // Given back while waiting for the send rate; nothing was intended or sent.
                    deliver.Reply.Fail(e);
                }

                break;
            case RecordRejection rejection when _state.Find(rejection.MessageId) is null
                && await services.Journal.FindMessageAsync(rejection.MessageId, cancellationToken).ConfigureAwait(false) is not null:
                // The id is another message's (maybe another recipient's): the invalid request is in the DLQ anyway.
                rejection.Reply.Complete(false);
                break;
            case RecordRejection rejection:
                var recorded = await DecideAndPersistAsync(
                    s => s.Find(rejection.MessageId) is null or { IsReusable: true }
                        ? [new Rejected(rejection.MessageId, rejection.Reason, Now, Content: true)]
                        : [],
                    cancellationToken).ConfigureAwait(false);
                rejection.Reply.Complete(recorded.Count > 0);
                break;
            case RecordFeedback feedback:
                var written = await DecideAndPersistAsync(
                    s => RecipientDecisions.Feedback(s, feedback.Feedback, feedback.Recalled, services.Sending.TransientBouncesToSuppress, Now),
                    cancellationToken).ConfigureAwait(false);
                feedback.Reply.Complete(written.Count);
                break;
            case GetRecipientState get:
                get.Reply.Complete(new RecipientSnapshot(key, _state, _sequenceNr));
                break;
            case SuppressRecipient suppress:
                var suppressed = await DecideAndPersistAsync(
                    s => RecipientDecisions.Suppress(s, suppress.By, suppress.Note, Now), cancellationToken).ConfigureAwait(false);
                suppress.Reply.Complete(suppressed.Count > 0 ? SuppressionChange.Suppressed : SuppressionChange.AlreadySuppressed);
                break;
            case UnsuppressRecipient unsuppress:
                var lifted = await DecideAndPersistAsync(
                    s => RecipientDecisions.Unsuppress(s, unsuppress.By, unsuppress.Reason, Now), cancellationToken).ConfigureAwait(false);
                unsuppress.Reply.Complete(lifted.Count > 0 ? SuppressionChange.Unsuppressed : SuppressionChange.WasNotSuppressed);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(message), message, $"{key} does not handle {message.GetType().Name}.");
        }
    }

    private DateTimeOffset Now => services.Time.GetUtcNow();

    private Task<DeliveryOutcome> DeliverAsync(DeliverRequest command, CancellationToken cancellationToken) =>
        RetryOnConflictAsync($"delivering {command.Request.MessageId}", async () =>
            await TryDeliverAsync(command, cancellationToken).ConfigureAwait(false) is { } outcome ? (true, outcome) : (false, null!));

    /// <summary>One round of the delivery decision; null when another writer got in first (the state is reloaded).</summary>
    private async Task<DeliveryOutcome?> TryDeliverAsync(DeliverRequest command, CancellationToken cancellationToken)
    {
        var request = command.Request;
        var id = request.MessageId;
        var sending = services.Sending;
        var entry = _state.Find(id);

        // Idempotency, checked before anything else and before any provider call.
        if (entry is null && await services.Journal.FindMessageAsync(id, cancellationToken).ConfigureAwait(false) is { } known)
        {
            return new DeliveryOutcome.Duplicate(ContractNames.StatusOf(known.Status, MessageStatus.Accepted));
        }

        var pending = new List<IRecipientEvent>();
        if (entry is { Status: MessageStatus.DeadLettered } && command.RedrivenBy is { } redrivenBy)
        {
            // An operator sent it back: decide it again from scratch, recorded with who did it.
            var redriven = new Redriven(id, Now, redrivenBy);
            pending.Add(redriven);
            entry = _state.Apply(redriven).Find(id);
        }

        if (entry is { Status: MessageStatus.DeadLettered })
        {
            // The DLQ write may not have happened: say so again, so the pipeline (re)sends it there.
            return new DeliveryOutcome.DeadLetter(entry.Reason ?? "dead-lettered", entry.FailedAttempts, entry.FirstFailureAt);
        }

        // Any provider event about it (a delay, an open) proves the provider took it: then it is never resent.
        if (entry is { Status: MessageStatus.Unknown, ResentAfterUnknown: false, Feedback: null or { Count: 0 } } &&
            sending.ReconcileUnknownAfter is { } reconcileAfter)
        {
            // No provider Send event has settled it. Before the time is up one may still come; after it, and once the
            // feedback queue is read past it, none will: the provider never took the message, so it is sent once more.
            var due = entry.UpdatedAt + reconcileAfter;
            if (Now < due)
            {
                return new DeliveryOutcome.Reconciling(entry.Reason ?? "recorded unknown", due);
            }

            // "No event yet" is not "never taken" while the feedback queue may be slow or stopped: resend only once it
            // was seen drained after the deadline. Until then look again later (never, when no feedback queue is read).
            if (services.FeedbackProgress.DrainedAt is not { } drainedAt || drainedAt <= due)
            {
                return new DeliveryOutcome.Reconciling(
                    $"{entry.Reason ?? "recorded unknown"}; waiting for the feedback queue to be read up to {due:u}",
                    Now + TimeSpan.FromTicks(Math.Min(reconcileAfter.Ticks, FeedbackRecheck.Ticks)));
            }

            var resent = new ResentAfterUnknown(id, Now,
                $"no provider Send event within {reconcileAfter} of being recorded unknown ({entry.Reason}); sent once more");
            pending.Add(resent);
            entry = _state.Apply(resent).Find(id);
        }

        if (entry is { SendPending: true } && Now - entry.UpdatedAt is var young && young < sending.InFlightGrace && command.LastReceive)
        {
            // Waiting out the grace would spend the queue's last receive: a crash then would leave the request to SQS's
            // redrive backstop with its intent open and no reason. Decide now; the provider's Send event (or the
            // reconciliation) still settles it.
            var reason = $"a send of it began {young.TotalSeconds:0.#} s ago and its result was never recorded; its queue allows no more " +
                "receives to wait for it, so it is not sent again";
            if (!sending.AtLeastOnce)
            {
                return await TryPersistAsync([new SendUnconfirmed(id, reason, Now)], cancellationToken).ConfigureAwait(false)
                    ? UnconfirmedOutcome(id, reason)
                    : null;
            }

            // At least once must not send while the first send may still be running: the operator redrives it.
            var dead = new DeadLettered(id, reason, entry.FailedAttempts, Now);
            return await TryPersistAsync([dead], cancellationToken).ConfigureAwait(false)
                ? new DeliveryOutcome.DeadLetter(reason, entry.FailedAttempts, entry.FirstFailureAt)
                : null;
        }

        if (entry is { SendPending: true } && Now - entry.UpdatedAt is var age && age < sending.InFlightGrace)
        {
            // Another node's send of it may still be running (SQS showed the request again to this one): neither
            // call it unknown nor send it again while that send may yet succeed or fail. Look again after it.
            return new DeliveryOutcome.RetryLater(
                $"a send of it began {age.TotalSeconds:0.#} s ago and may still be in flight", sending.InFlightGrace - age, entry.FailedAttempts);
        }

        if (entry is { SendPending: true } && !sending.AtLeastOnce)
        {
            return await TryPersistAsync([new SendUnconfirmed(id, UnconfirmedAfterRestart, Now)], cancellationToken).ConfigureAwait(false)
                ? UnconfirmedOutcome(id, UnconfirmedAfterRestart)
                : null;
        }

        // Refused before for its content only: the message id is not spent, and this (corrected) request is new.
        var isNew = entry is null or { IsReusable: true };
        if (!isNew && !entry!.IsWaiting && !entry.SendPending)
        {
            return new DeliveryOutcome.Duplicate(entry.Status);
        }

        var now = Now;
        if (isNew)
        {
            pending.Add(new RequestAccepted(id, request.Category, now, request.NotBefore));
        }

        if (RefusalOf(request, isNew, now) is { } refusal)
        {
            pending.Add(refusal);
            return await TryPersistAsync(pending, cancellationToken).ConfigureAwait(false)
                ? new DeliveryOutcome.Rejected(refusal.Reason, refusal.Suppressed)
                : null;
        }

        if (request.NotBefore is { } notBefore && notBefore > now)
        {
            return pending.Count == 0 || await TryPersistAsync(pending, cancellationToken).ConfigureAwait(false)
                ? new DeliveryOutcome.Scheduled(notBefore)
                : null;
        }

        if (request.Channel == Channel.Email && services.Reputation.IsPaused(request.Category, out var pauseReason))
        {
            // Not a failure, and nothing to record: the request waits on its queue until an operator resumes.
            return new DeliveryOutcome.Paused($"{ContractNames.Of(request.Category)} email is paused: {pauseReason}", services.Reputation.PausedRetryDelay);
        }

        var (message, problem) = await services.Renderer.RenderAsync(request, cancellationToken).ConfigureAwait(false);
        if (message is null)
        {
            var rejected = new Rejected(id, problem!, now, Content: true);
            pending.Add(rejected);
            return await TryPersistAsync(pending, cancellationToken).ConfigureAwait(false)
                ? new DeliveryOutcome.Rejected(rejected.Reason, false)
                : null;
        }

        var throttle = services.Throttles.For(message.Channel, message.From);
        while (true)
        {
            SendPermit permit;
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, command.Abandoned))
            {
                permit = await throttle.AcquireAsync(command.Priority, waiting.Token).ConfigureAwait(false);
            }

            // The intent is durable before the provider is called: a crash after this point can never cause a second send.
            pending.Add(new SendIntended(id, Now, message.Template));
            if (!await TryPersistAsync(pending, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            pending.Clear();
            await throttle.WaitForSlotAsync(permit, cancellationToken).ConfigureAwait(false);
            var result = await services.Sender.SendAsync(message, cancellationToken).ConfigureAwait(false);
            now = Now;
            if (result.TryGetValue(out var providerMessageId, out var error))
            {
                await RecordAsync([new Sent(id, providerMessageId, now)], cancellationToken).ConfigureAwait(false);
                if (message.Channel == Channel.Email)
                {
                    services.ReputationCounts.CountSent(message.ConfigurationSet);
                }

                return new DeliveryOutcome.Sent(providerMessageId);
            }

            switch (error.Kind)
            {
                case ProviderErrorKind.Throttled:
                    // Not a failure: slow down and wait for the next permit.
                    throttle.OnThrottled();
                    await RecordAsync([new SendFailed(id, error.ToString(), false, now, Throttled: true)], cancellationToken).ConfigureAwait(false);
                    continue;

                case ProviderErrorKind.QuotaExhausted:
                    var wait = TimeSpan.FromMinutes(15);
                    throttle.PauseUntil(now + wait);
                    await RecordAsync([new SendFailed(id, error.ToString(), false, now, Throttled: true)], cancellationToken).ConfigureAwait(false);
                    return new DeliveryOutcome.RetryLater(error.ToString(), wait, _state.Find(id)?.FailedAttempts ?? 0);

                case ProviderErrorKind.Permanent:
                    IRecipientEvent[] failed = error.Reason == SmsClient.OptedOutReason
                        ? [new SendFailed(id, error.ToString(), true, now), new Suppressed(SuppressionReason.OptedOut, now, SourceMessageId: id)]
                        : [new SendFailed(id, error.ToString(), true, now)];
                    await RecordAsync(failed, cancellationToken).ConfigureAwait(false);
                    return new DeliveryOutcome.Failed(error.ToString());

                default:
                    return await FailTransientlyAsync(id, error, now, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// What a send just recorded <c>unknown</c> means for its request: finished (acked), or, when reconciliation is on and
    /// the message was not resent before, kept on its queue until a <c>Send</c> event settles it or the time is up.
    /// </summary>
    private DeliveryOutcome UnconfirmedOutcome(string id, string reason) =>
        services.Sending.ReconcileUnknownAfter is { } after && _state.Find(id) is { ResentAfterUnknown: false, Feedback: null or { Count: 0 } } entry
            ? new DeliveryOutcome.Reconciling(reason, entry.UpdatedAt + after)
            : new DeliveryOutcome.Unconfirmed(reason);

    /// <summary>Why this request must not be sent at all, or null.</summary>
    private Rejected? RefusalOf(MessageRequest request, bool isNew, DateTimeOffset now)
    {
        if (_state.Suppression is { } suppression)
        {
            return new Rejected(request.MessageId,
                $"the recipient is suppressed ({suppression.Reason}) since {suppression.Since:u}", now, Suppressed: true);
        }

        var category = ContractNames.Of(request.Category);
        if (isNew && services.Sending.DailyCapByCategory.TryGetValue(category, out var cap) &&
            _state.AcceptedOn(request.Category, DateOnly.FromDateTime(now.UtcDateTime)) >= cap)
        {
            return new Rejected(request.MessageId, $"frequency cap: at most {cap} {category} message(s) per recipient per day", now);
        }

        return null;
    }

    private async Task<DeliveryOutcome> FailTransientlyAsync(
        string id, ProviderError error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (error.OutcomeUnknown && !services.Sending.AtLeastOnce)
        {
            var reason = $"the provider's answer never arrived, so the message may have been sent; not sent again: {error}";
            await RecordAsync([new SendUnconfirmed(id, reason, now)], cancellationToken).ConfigureAwait(false);
            return UnconfirmedOutcome(id, reason);
        }

        await RecordAsync([new SendFailed(id, error.ToString(), false, now)], cancellationToken).ConfigureAwait(false);
        var entry = _state.Find(id)!;
        if (entry.FailedAttempts >= services.Sending.MaxAttempts)
        {
            var reason = $"gave up after {entry.FailedAttempts} attempt(s); last error: {error}";
            await RecordAsync([new DeadLettered(id, reason, entry.FailedAttempts, now)], cancellationToken).ConfigureAwait(false);
            return new DeliveryOutcome.DeadLetter(reason, entry.FailedAttempts, entry.FirstFailureAt);
        }

        return new DeliveryOutcome.RetryLater(error.ToString(), services.Sending.RetryDelay(entry.FailedAttempts), entry.FailedAttempts);
    }

    /// <summary>Persists a decision; false when another writer got in first (the state is then reloaded).</summary>
    private async Task<bool> TryPersistAsync(IReadOnlyList<IRecipientEvent> events, CancellationToken cancellationToken)
    {
        var (result, after) = await services.Journal.AppendAsync(key, _sequenceNr, _state, events, cancellationToken).ConfigureAwait(false);
        if (result is AppendResult.Written written)
        {
            (_state, _sequenceNr) = (after, written.HighestSequenceNr);
            return true;
        }

        // A hot recipient's actors on several nodes append at once; one that reloaded and retried at once would often
        // meet the same winner again. A short random pause *before* the reload spreads them out and keeps the state it
        // retries with as fresh as it can be. Real time, not the engine's clock: it decides nothing.
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 20))).ConfigureAwait(false);
        (_state, _sequenceNr) = await services.Journal.LoadAsync(key, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>Records what already happened (a provider's answer): on a conflict it is appended after the other writer's events.</summary>
    private Task RecordAsync(IReadOnlyList<IRecipientEvent> facts, CancellationToken cancellationToken) =>
        RetryOnConflictAsync($"recording {string.Join(", ", facts)}", async () =>
            (await TryPersistAsync(facts, cancellationToken).ConfigureAwait(false), true));

    /// <summary>Decides against the current state and persists the events; returns the events that were written.</summary>
    private Task<IReadOnlyList<IRecipientEvent>> DecideAndPersistAsync(
        Func<RecipientState, IReadOnlyList<IRecipientEvent>> decide, CancellationToken cancellationToken) =>
        RetryOnConflictAsync("deciding", async () =>
        {
            var events = decide(_state);
            return (events.Count == 0 || await TryPersistAsync(events, cancellationToken).ConfigureAwait(false), events);
        });

    /// <summary>
    /// Runs a round until it is done; a round is not done when another writer got in first (the state is then
    /// reloaded). After <see cref="MaxConflictRounds"/> lost rounds the attempt fails and the supervisor retries it.
    /// </summary>
    private async Task<T> RetryOnConflictAsync<T>(string what, Func<Task<(bool Done, T Result)>> round)
    {
        for (var attempt = 1; attempt <= MaxConflictRounds; attempt++)
        {
            var (done, result) = await round().ConfigureAwait(false);
            if (done)
            {
                return result;
            }

        }

        throw new JournalStorageException($"{key}: other writers won {MaxConflictRounds} rounds in a row while {what}; giving up this attempt.");
    }
}
