using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Sms;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Messaging.Engine.Recipients.Events;
using Messaging.Engine.Recipients.Passivation;
using Messaging.Engine.Sending;
using Messaging.Engine.Throttling;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// One recipient as an Akka persistent entity, the only live one for its key in the cluster (Cluster.Sharding): receive →
/// decide → persist → act → record → reply. At most once: the send intent is persisted (<c>PersistAll</c>, never the
/// async variant) and the provider is called only once it is durable; until the send's outcome is persisted every other
/// command is stashed. A pending intent found on recovery is never sent again (it becomes <c>unknown</c>). One send per
/// message id across recipients and nodes: the first write about an id new to the recipient claims it in the same
/// transaction (<see cref="ReadModelRows.Claim"/>), and is refused whole if another row has it.
/// </summary>
/// <remarks>
/// The decisions are <see cref="RecipientDecisions"/> and the state <see cref="RecipientState"/>, as for the in-house
/// actor; the read tables change in the events' transaction (<see cref="WithReadModel"/>). A journal failure stops the
/// entity (Akka's rule: whether the event was stored is unknown) after answering the asker with the failure.
/// </remarks>
public sealed class RecipientEntity : UntypedPersistentActor
{
    /// <summary>How soon a request due for reconciliation looks again while the feedback queue is not read up to its deadline.</summary>
    private static readonly TimeSpan FeedbackRecheck = TimeSpan.FromMinutes(1);

    private const string UnconfirmedAfterRestart =
        "a send was started but its result was never recorded (the engine stopped mid-call); not sent again";

    private readonly RecipientKey _key;
    private readonly RecipientEntityServices _services;
    private readonly EventStore _store;
    private RecipientState _state = RecipientState.Empty;

    // Who waits for the command being handled; the send in flight, if any (then every command is stashed), and its wait
    // for the send rate while it waits.
    private IActorRef _replyTo = ActorRefs.Nobody;
    private InFlightSend? _inFlight;
    private PermitWait? _permitWait;

    // A permit granted whose intent is not yet written: given back if the send will not be made.
    private (SendThrottle Throttle, SendPermit Permit)? _unusedPermit;
    private bool _handingOff;

    // Why the write being persisted was refused (Akka says so before the write's completion callback), or null.
    private Exception? _rejected;

    private ActiveRecipient? _activity;

    // The behaviour: Ready, or Sending while a send is in flight. A flag and two switches rather than Become with
    // Command<T> handlers, which compile a matcher for every new entity and every change of behaviour.
    private bool _sending;

    public RecipientEntity(RecipientKey key, RecipientEntityServices services)
    {
        _key = key;
        _services = services;
        PersistenceId = key.ToString();
        _store = EventStores.Get(Context.System).ForDefaultJournal(Context.System);
    }

    /// <summary>The recipient key, as the in-house journal named it, so old histories keep their ids.</summary>
    public override string PersistenceId { get; }

    /// <summary>Props that construct the entity directly: no expression to take apart, no constructor looked up per entity.</summary>
    public static Props Props(RecipientKey key, RecipientEntityServices services) =>
        Akka.Actor.Props.CreateBy(new Producer(key, services));

    private DateTimeOffset Now => _services.Time.GetUtcNow();

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer offer:
                _state = (RecipientState)offer.Snapshot;
                break;
            case IRecipientEvent e:
                _state = _state.Apply(e);
                break;
            case RecoveryCompleted:
                // Nothing to do once recovered; handled so that it is not published as an unhandled message.
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void OnCommand(object message)
    {
        if (!(_sending ? Sending(message) : Ready(message)))
        {
            Unhandled(message);
        }
    }

    private bool Ready(object message)
    {
        switch (message)
        {
            case Deliver deliver:
                RunTask(() => DeliverAsync(deliver));
                return true;
            case RecordRejectedRequest rejection:
                RecordRejection(rejection);
                return true;
            case RecordProviderFeedback f:
                Decide(RecipientDecisions.Feedback(_state, f.Feedback, f.Recalled, _services.Sending.TransientBouncesToSuppress, Now), e => e.Count);
                return true;
            case QueryRecipient:
                Sender.Tell(new RecipientSnapshot(_key, _state, LastSequenceNr));
                return true;
            case SuppressByOperator s:
                Decide(
                    RecipientDecisions.Suppress(_state, s.By, s.Note, Now),
                    e => e.Count > 0 ? SuppressionChange.Suppressed : SuppressionChange.AlreadySuppressed);
                return true;
            case UnsuppressByOperator u:
                Decide(
                    RecipientDecisions.Unsuppress(_state, u.By, u.Reason, Now),
                    e => e.Count > 0 ? SuppressionChange.Unsuppressed : SuppressionChange.WasNotSuppressed);
                return true;
            case StopRecipient:
                Context.Stop(Self);
                return true;
            case AbandonDelivery:
                // Its Deliver was answered already (or never came): nothing waits any more.
                return true;
            default:
                return Upkeep(message);
        }
    }

    /// <summary>While a send is in flight: only its own steps are handled, every command waits for its outcome.</summary>
    private bool Sending(object message)
    {
        switch (message)
        {
            case SendFinished finished:
                OnSendFinished(finished);
                break;
            case SendCrashed crashed:
                Finish(RecipientEntityException.Answer(crashed.Cause));
                break;
            case PermitGranted granted:
                var send = _inFlight!;
                var wait = EndPermitWait();
                _unusedPermit = (send.Throttle, granted.Permit);
                PersistEvents(
                    [.. wait.Events, new SendIntended(send.Message.MessageId, Now, send.Message.Template)],
                    () => StartSend(send, granted.Permit),
                    wait.Claims ? new Claim(send.Message.MessageId, OnMessageIdTaken) : null);
                break;
            case PermitRefused refused:
                EndPermitWait();
                Finish(_handingOff ? Moving(_inFlight!.Command) : RecipientEntityException.Answer(refused.Cause));
                break;
            case AbandonDelivery abandoned:
                OnAbandoned(abandoned);
                break;
            case StopRecipient:
                HandOff();
                break;
            default:
                if (!Upkeep(message))
                {
                    Stash.Stash();
                }

                break;
        }

        return true;
    }

    /// <summary>
    /// Sharding moves the recipient to another node (or passivates it) while a send is in flight: a send whose intent is
    /// written finishes first (the hand-off waits for its outcome), a wait for the send rate is given up, and the commands
    /// that waited behind it are answered a failure at once, so their requests are retried — at the recipient's new
    /// home — instead of holding the hand-off up until sharding gives up on it.
    /// </summary>
    private void HandOff()
    {
        _handingOff = true;
        _permitWait?.Abandon.Cancel();
    }

    /// <summary>While a send is in flight: only its wait for the send rate can be abandoned, never the call itself.</summary>
    private void OnAbandoned(AbandonDelivery abandoned)
    {
        if (_inFlight!.Message.MessageId != abandoned.MessageId)
        {
            // Another request's: its Deliver waits in the stash, and this follows it there.
            Stash.Stash();
            return;
        }

        // Once the intent is written (no wait left) the send goes through, whoever gave up waiting.
        _permitWait?.Abandon.Cancel();
    }

    /// <summary>Snapshots and the deletes behind them, in either behaviour.</summary>
    private bool Upkeep(object message)
    {
        switch (message)
        {
            case SaveSnapshotSuccess s:
                DeleteMessages(s.Metadata.SequenceNr);
                return true;
            case SaveSnapshotFailure f:
                Log.Warning(f.Cause, "{0}: a snapshot at #{1} was not saved; recovery replays more events", _key, f.Metadata.SequenceNr);
                return true;
            case DeleteMessagesSuccess:
                return true;
            case DeleteMessagesFailure f:
                Log.Warning(f.Cause, "{0}: events up to #{1} were not deleted; the next snapshot tries again", _key, f.ToSequenceNr);
                return true;
            default:
                return false;
        }
    }

    private void Decide<T>(IReadOnlyList<IRecipientEvent> events, Func<IReadOnlyList<IRecipientEvent>, T> answer)
        where T : notnull
    {
        _replyTo = Sender;
        var replyTo = Sender;
        PersistEvents(events, () => replyTo.Tell(answer(events)));
    }

    private void RecordRejection(RecordRejectedRequest rejection)
    {
        _replyTo = Sender;
        var replyTo = Sender;
        var entry = _state.Find(rejection.MessageId);
        IReadOnlyList<IRecipientEvent> events = entry is null or { IsReusable: true }
            ? [new Rejected(rejection.MessageId, rejection.Reason, Now, Content: true)]
            : [];

        // A new id is claimed by the write; if it is another message's (maybe another recipient's), nothing is recorded:
        // the invalid request is in the DLQ anyway.
        PersistEvents(
            events,
            () => replyTo.Tell(events.Count > 0 ? RejectionOutcome.Recorded : RejectionOutcome.MessageIdTaken),
            entry is null ? new Claim(rejection.MessageId, _ => replyTo.Tell(RejectionOutcome.MessageIdTaken)) : null);
    }

    // Awaits in the entity's own handlers keep the actor's context (ConfigureAwait(true)): Persist needs it.
    private async Task DeliverAsync(Deliver command)
    {
        _replyTo = Sender;
        var replyTo = Sender;
        Step step;
        try
        {
            step = await DecideDeliveryAsync(command, replyTo).ConfigureAwait(true);
        }
        catch (Exception e)
        {
            // The asker learns of it; the entity restarts from its journal (Akka's supervision).
            replyTo.Tell(RecipientEntityException.Answer(e));
            throw;
        }

        switch (step)
        {
            case Step.Answer answer:
                replyTo.Tell(answer.Outcome);
                break;
            case Step.Record record:
                PersistEvents(
                    record.Events,
                    () => replyTo.Tell(record.Outcome()),
                    record.Claims ? new Claim(command.Request.MessageId, owner => replyTo.Tell(DuplicateOf(owner))) : null);
                break;
            case Step.AwaitPermit wait:
                AwaitPermit(wait.InFlight, wait.Events, wait.Claims);
                break;
        }
    }

    /// <summary>The delivery decision, up to (not including) the provider call: what to persist and what to answer.</summary>
    private async Task<Step> DecideDeliveryAsync(Deliver command, IActorRef replyTo)
    {
        var request = command.Request;
        var id = request.MessageId;
        var sending = _services.Sending;
        var entry = _state.Find(id);

        // Idempotency, before any provider call: a message id new to this recipient is claimed by the first write that
        // records it, in that write's transaction (ahead of the provider call, whose intent is in it); if another row
        // has the id, nothing is recorded and the answer is Duplicate. A paused category records nothing (the request
        // waits on its queue), so there a new id is looked up to answer Duplicate rather than Paused.
        var claims = entry is null;
        string? pauseReason = null;
        var paused = request.Channel == Channel.Email && _services.Reputation.IsPaused(request.Category, out pauseReason);
        if (claims && paused && await OtherOwnerAsync(id).ConfigureAwait(true) is { } known)
        {
            return new Step.Answer(DuplicateOf(known));
        }

        var pending = new List<IRecipientEvent>();
        var state = _state;
        if (entry is { Status: MessageStatus.DeadLettered } && command.RedrivenBy is { } redrivenBy)
        {
            // An operator sent it back: decide it again from scratch, recorded with who did it.
            var redriven = new Redriven(id, Now, redrivenBy);
            pending.Add(redriven);
            state = state.Apply(redriven);
            entry = state.Find(id);
        }

        if (entry is { Status: MessageStatus.DeadLettered })
        {
            // The DLQ write may not have happened: say so again, so the pipeline (re)sends it there.
            return new Step.Answer(new DeliveryOutcome.DeadLetter(entry.Reason ?? "dead-lettered", entry.FailedAttempts, entry.FirstFailureAt));
        }

        // Any provider event about it (a delay, an open) proves the provider took it: then it is never resent.
        if (entry is { Status: MessageStatus.Unknown, ResentAfterUnknown: false, Feedback: null or { Count: 0 } } &&
            sending.ReconcileUnknownAfter is { } reconcileAfter)
        {
            var due = entry.UpdatedAt + reconcileAfter;
            if (Now < due)
            {
                return new Step.Answer(new DeliveryOutcome.Reconciling(entry.Reason ?? "recorded unknown", due));
            }

            // "No event yet" is not "never taken" while the feedback queue may be slow or stopped: resend only once it
            // was seen drained after the deadline. Until then look again later.
            if (_services.FeedbackProgress.DrainedAt is not { } drainedAt || drainedAt <= due)
            {
                return new Step.Answer(new DeliveryOutcome.Reconciling(
                    $"{entry.Reason ?? "recorded unknown"}; waiting for the feedback queue to be read up to {due:u}",
                    Now + TimeSpan.FromTicks(Math.Min(reconcileAfter.Ticks, FeedbackRecheck.Ticks))));
            }

            var resent = new ResentAfterUnknown(id, Now,
                $"no provider Send event within {reconcileAfter} of being recorded unknown ({entry.Reason}); sent once more");
            pending.Add(resent);
            state = state.Apply(resent);
            entry = state.Find(id);
        }

        if (entry is { SendPending: true } && Now - entry.UpdatedAt is var young && young < sending.InFlightGrace && command.LastReceive)
        {
            // Waiting out the grace would spend the queue's last receive: decide now; the provider's Send event (or the
            // reconciliation) still settles it.
            var reason = $"a send of it began {young.TotalSeconds:0.#} s ago and its result was never recorded; its queue allows no more " +
                "receives to wait for it, so it is not sent again";
            if (!sending.AtLeastOnce)
            {
                return new Step.Record([.. pending, new SendUnconfirmed(id, reason, Now)], () => UnconfirmedOutcome(id, reason));
            }

            // At least once must not send while the first send may still be running: the operator redrives it.
            var dead = entry;
            return new Step.Record([.. pending, new DeadLettered(id, reason, dead.FailedAttempts, Now)],
                () => new DeliveryOutcome.DeadLetter(reason, dead.FailedAttempts, dead.FirstFailureAt));
        }

        if (entry is { SendPending: true } && Now - entry.UpdatedAt is var age && age < sending.InFlightGrace)
        {
            // A send of it by an earlier incarnation (on a node that may not know it lost the shard) may still be
            // running: neither call it unknown nor send it again while that send may yet succeed or fail.
            return new Step.Answer(new DeliveryOutcome.RetryLater(
                $"a send of it began {age.TotalSeconds:0.#} s ago and may still be in flight", sending.InFlightGrace - age, entry.FailedAttempts));
        }

        if (entry is { SendPending: true } && !sending.AtLeastOnce)
        {
            return new Step.Record([.. pending, new SendUnconfirmed(id, UnconfirmedAfterRestart, Now)], () => UnconfirmedOutcome(id, UnconfirmedAfterRestart));
        }

        // Refused before for its content only: the message id is not spent, and this (corrected) request is new.
        var isNew = entry is null or { IsReusable: true };
        if (!isNew && !entry!.IsWaiting && !entry.SendPending)
        {
            return new Step.Answer(new DeliveryOutcome.Duplicate(entry.Status));
        }

        var now = Now;
        if (isNew)
        {
            pending.Add(new RequestAccepted(id, request.Category, now, request.NotBefore));
        }

        if (RefusalOf(request, isNew, now) is { } refusal)
        {
            pending.Add(refusal);
            return new Step.Record(pending, () => new DeliveryOutcome.Rejected(refusal.Reason, refusal.Suppressed), claims);
        }

        if (request.NotBefore is { } notBefore && notBefore > now)
        {
            return new Step.Record(pending, () => new DeliveryOutcome.Scheduled(notBefore), claims);
        }

        if (paused)
        {
            // Not a failure, and nothing to record: the request waits on its queue until an operator resumes.
            return new Step.Answer(new DeliveryOutcome.Paused(
                $"{ContractNames.Of(request.Category)} email is paused: {pauseReason}", _services.Reputation.PausedRetryDelay));
        }

        var (message, problem) = await _services.Renderer.RenderAsync(request, CancellationToken.None).ConfigureAwait(true);
        if (message is null)
        {
            var rejected = new Rejected(id, problem!, now, Content: true);
            pending.Add(rejected);
            return new Step.Record(pending, () => new DeliveryOutcome.Rejected(rejected.Reason, false), claims);
        }

        // The intent is written with the events (and the claim) once the permit comes, before the provider is called: a
        // crash after that can never cause a second send.
        return new Step.AwaitPermit(pending, new InFlightSend(command, message, _services.Throttles.For(message.Channel, message.From), replyTo), claims);
    }

    /// <summary>
    /// Waits for the send rate off the entity (the permit is piped back), every other command stashed, so that an
    /// <see cref="AbandonDelivery"/> can still stop the wait. <paramref name="events"/> are persisted with the intent,
    /// which claims the message id when <paramref name="claims"/>.
    /// </summary>
    private void AwaitPermit(InFlightSend send, IReadOnlyList<IRecipientEvent> events, bool claims = false)
    {
        var abandon = new CancellationTokenSource();
        _inFlight = send;
        var permit = send.Throttle.AcquireAsync(send.Command.Priority, abandon.Token).AsTask();
        _permitWait = new PermitWait(events, claims, abandon, send.Throttle, permit);
        _sending = true;
        permit.PipeTo(Self, success: p => new PermitGranted(p), failure: e => new PermitRefused(e));
    }

    private PermitWait EndPermitWait()
    {
        var wait = _permitWait!;
        _permitWait = null;
        wait.Abandon.Dispose();
        return wait;
    }

    /// <summary>Runs once the intent is durable: the provider call, off the entity, its result piped back.</summary>
    private void StartSend(InFlightSend send, SendPermit permit)
    {
        _unusedPermit = null;
        _inFlight = send;
        _sending = true;
        CallProviderAsync(send, permit).PipeTo(Self, success: r => new SendFinished(r), failure: e => new SendCrashed(e));
    }

    /// <summary>The intent's write found the message id taken: nothing was stored, and the permit goes back unused.</summary>
    private void OnMessageIdTaken(MessageRecord? owner)
    {
        GiveBackUnusedPermit();
        Finish(DuplicateOf(owner));
    }

    /// <summary>
    /// The permit's send will not be made (the id was taken, or the intent's write failed and the entity stops): the line
    /// stops counting it at once, rather than for a permit's life, so duplicates do not hold the line up.
    /// </summary>
    private void GiveBackUnusedPermit()
    {
        if (_unusedPermit is { } unused)
        {
            _unusedPermit = null;
            unused.Throttle.GiveBack(unused.Permit);
        }
    }

    // Once the intent is written the call goes through, whoever gave up waiting: no token stops it.
    private Task<AwsResult<string>> CallProviderAsync(InFlightSend send, SendPermit permit) =>
        _services.Sends.SendAsync(send.Throttle, permit, send.Message, CancellationToken.None);

    private void OnSendFinished(SendFinished finished)
    {
        var send = _inFlight!;
        var message = send.Message;
        var id = message.MessageId;
        var now = Now;
        if (finished.Result.TryGetValue(out var providerMessageId, out var error))
        {
            PersistEvents([new Sent(id, providerMessageId, now)], () =>
            {
                if (message.Channel == Channel.Email)
                {
                    _services.ReputationCounts.CountSent(message.ConfigurationSet);
                }

                Finish(new DeliveryOutcome.Sent(providerMessageId));
            });
            return;
        }

        switch (error.Kind)
        {
            case ProviderErrorKind.Throttled:
                // Not a failure: slow down and wait for the next permit (still stashing: the send is not settled).
                send.Throttle.OnThrottled();
                PersistEvents([new SendFailed(id, error.ToString(), false, now, Throttled: true)], () => AwaitPermit(send, []));
                break;

            case ProviderErrorKind.QuotaExhausted:
                var wait = TimeSpan.FromMinutes(15);
                send.Throttle.PauseUntil(now + wait);
                PersistEvents([new SendFailed(id, error.ToString(), false, now, Throttled: true)], () =>
                    Finish(new DeliveryOutcome.RetryLater(error.ToString(), wait, _state.Find(id)?.FailedAttempts ?? 0)));
                break;

            case ProviderErrorKind.Permanent:
                IRecipientEvent[] failed = error.Reason == SmsClient.OptedOutReason
                    ? [new SendFailed(id, error.ToString(), true, now), new Suppressed(SuppressionReason.OptedOut, now, SourceMessageId: id)]
                    : [new SendFailed(id, error.ToString(), true, now)];
                PersistEvents(failed, () => Finish(new DeliveryOutcome.Failed(error.ToString())));
                break;

            default:
                FailTransiently(id, error, now);
                break;
        }
    }

    private void FailTransiently(string id, ProviderError error, DateTimeOffset now)
    {
        if (error.OutcomeUnknown && !_services.Sending.AtLeastOnce)
        {
            var reason = $"the provider's answer never arrived, so the message may have been sent; not sent again: {error}";
            PersistEvents([new SendUnconfirmed(id, reason, now)], () => Finish(UnconfirmedOutcome(id, reason)));
            return;
        }

        var failed = new SendFailed(id, error.ToString(), false, now);
        var attempts = _state.Apply(failed).Find(id)!.FailedAttempts;
        if (attempts >= _services.Sending.MaxAttempts)
        {
            var reason = $"gave up after {attempts} attempt(s); last error: {error}";
            PersistEvents([failed, new DeadLettered(id, reason, attempts, now)], () =>
            {
                var entry = _state.Find(id)!;
                Finish(new DeliveryOutcome.DeadLetter(reason, entry.FailedAttempts, entry.FirstFailureAt));
            });
            return;
        }

        PersistEvents([failed], () =>
        {
            var entry = _state.Find(id)!;
            Finish(new DeliveryOutcome.RetryLater(error.ToString(), _services.Sending.RetryDelay(entry.FailedAttempts), entry.FailedAttempts));
        });
    }

    /// <summary>
    /// The answer to a request this entity gives up as it moves to another node: put it back for a second, without
    /// counting an attempt (it did not fail), to be decided at the recipient's new home.
    /// </summary>
    private DeliveryOutcome.RetryLater Moving(Deliver deliver) =>
        DeliveryOutcome.RetryLater.AfterMove($"{_key} moved to another node before it was decided", _state.Find(deliver.Request.MessageId)?.FailedAttempts ?? 0);

    /// <summary>The send is settled and durable: answer, then take the commands that waited for it.</summary>
    private void Finish(object answer)
    {
        _inFlight!.ReplyTo.Tell(answer);
        _inFlight = null;
        if (_handingOff)
        {
            foreach (var waiting in Stash.ClearStash())
            {
                if (waiting.Message is Deliver deliver && !waiting.Sender.IsNobody())
                {
                    waiting.Sender.Tell(Moving(deliver));
                }
                else if (waiting.Message is IRecipientMessage and not AbandonDelivery && !waiting.Sender.IsNobody())
                {
                    waiting.Sender.Tell(RecipientEntityException.Answer(new InvalidOperationException($"{_key} moved to another node before this was handled")));
                }
            }

            Context.Stop(Self);
            return;
        }

        _sending = false;
        Stash.UnstashAll();
    }

    /// <summary>
    /// What a send just recorded <c>unknown</c> means for its request: finished (acked), or, when reconciliation is on and
    /// the message was not resent before, kept on its queue until a <c>Send</c> event settles it or the time is up.
    /// </summary>
    private DeliveryOutcome UnconfirmedOutcome(string id, string reason) =>
        _services.Sending.ReconcileUnknownAfter is { } after && _state.Find(id) is { ResentAfterUnknown: false, Feedback: null or { Count: 0 } } entry
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
        if (isNew && _services.Sending.DailyCapByCategory.TryGetValue(category, out var cap) &&
            _state.AcceptedOn(request.Category, DateOnly.FromDateTime(now.UtcDateTime)) >= cap)
        {
            return new Rejected(request.MessageId, $"frequency cap: at most {cap} {category} message(s) per recipient per day", now);
        }

        return null;
    }

    /// <summary>
    /// Looks a message id new to this recipient up without claiming it; answers the owner's row when it belongs to another
    /// message (another recipient's, or one this recipient handled and no longer remembers), null when it is free or this
    /// recipient's claim.
    /// </summary>
    private async Task<MessageRecord?> OtherOwnerAsync(string messageId) =>
        await _store.FindMessageAsync(messageId, CancellationToken.None).ConfigureAwait(true) is { } row && !RecipientReadModel.IsClaimOf(row, _key)
            ? row
            : null;

    private static DeliveryOutcome.Duplicate DuplicateOf(MessageRecord? owner) =>
        new(owner is null ? MessageStatus.Accepted : ContractNames.StatusOf(owner.Status, MessageStatus.Accepted));

    /// <summary>
    /// Persists <paramref name="events"/> in one atomic write, the read-table rows riding on the last one, then runs
    /// <paramref name="then"/>; no command is taken before it ran. Saves a snapshot every <c>SnapshotEvery</c> events.
    /// With <paramref name="claim"/> the write claims that message id: if another row has it, nothing is stored and
    /// the claim's <see cref="Claim.Lost"/> runs instead of <paramref name="then"/>.
    /// </summary>
    private void PersistEvents(IReadOnlyList<IRecipientEvent> events, Action then, Claim? claim = null)
    {
        if (events.Count == 0)
        {
            then();
            return;
        }

        // The state after each event, worked out once: for the read rows now, and for the handler once it is durable.
        var before = _state;
        var states = new RecipientState[events.Count];
        var state = before;
        for (var i = 0; i < states.Length; i++)
        {
            states[i] = state = state.Apply(events[i]);
        }

        var rows = RecipientReadModel.RowsFor(_key, before, state, events, _services.PublishStatus, claim?.MessageId);
        var payloads = new object[events.Count];
        for (var i = 0; i < payloads.Length; i++)
        {
            payloads[i] = events[i];
        }

        if (!rows.IsEmpty)
        {
            payloads[^1] = new WithReadModel(events[^1], rows);
        }

        var from = LastSequenceNr;
        var applied = 0;
        PersistAll(payloads, p =>
        {
            // Applied again only if the state moved on since (another write's events came first).
            var expected = applied == 0 ? before : states[applied - 1];
            _state = ReferenceEquals(_state, expected)
                ? states[applied]
                : _state.Apply(p is WithReadModel w ? (IRecipientEvent)w.Event : (IRecipientEvent)p);
            applied++;
        }, () =>
        {
            // Akka runs this after a rejected write too (its handlers did not run): then the write's claim was lost.
            if (_rejected is { } rejected)
            {
                _rejected = null;
                if (rejected is MessageIdTakenException taken)
                {
                    if (claim is null)
                    {
                        // Refused for a claim it did not make: a bug, answered and stopped rather than left hanging.
                        (_inFlight?.ReplyTo ?? _replyTo).Tell(RecipientEntityException.Answer(taken));
                        Context.Stop(Self);
                        return;
                    }

                    claim.Lost(taken.Owner);
                }

                return;
            }

            if (LastSequenceNr / _services.SnapshotEvery > from / _services.SnapshotEvery)
            {
                SaveSnapshot(_state);
            }

            then();
        });
    }

    protected override void PreStart()
    {
        // The node's least-recently-used limit passivates through the shard (Context.Parent).
        _activity = ActiveRecipients.Get(Context.System).Register(Self, Context.Parent);
        base.PreStart();
    }

    protected override void PostStop()
    {
        // A stopped entity takes no permit: the throttle hands it to the next waiter. One granted and not yet handled (its
        // message is then dead-lettered) or handled and never used goes back.
        if (_permitWait is { } wait)
        {
            wait.Abandon.Cancel();
            wait.Permit.ContinueWith(
                static (granted, throttle) => ((SendThrottle)throttle!).GiveBack(granted.Result),
                wait.Throttle,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        GiveBackUnusedPermit();
        if (_activity is not null)
        {
            ActiveRecipients.Get(Context.System).Unregister(_activity);
        }

        base.PostStop();
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        _activity?.Touch();
        return base.AroundReceive(receive, message);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Whether it was stored is unknown: the asker gets the failure, and Akka stops the entity.
        (_inFlight?.ReplyTo ?? _replyTo).Tell(RecipientEntityException.Answer(cause));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // Akka calls this for each event of the write, before its completion callback in PersistEvents.
        _rejected = cause;
        if (cause is MessageIdTakenException)
        {
            // Another row has the id: nothing of the write is stored, and its claim answers for it (PersistEvents).
            return;
        }

        // Not stored: the asker gets the failure, and the entity stops rather than go on with a decision half recorded.
        (_inFlight?.ReplyTo ?? _replyTo).Tell(RecipientEntityException.Answer(cause));
        base.OnPersistRejected(cause, @event, sequenceNr);
        Context.Stop(Self);
    }

    /// <summary>Makes each entity with its constructor: sharding asks for one per recipient it starts.</summary>
    private sealed class Producer(RecipientKey key, RecipientEntityServices services) : IIndirectActorProducer
    {
        public Type ActorType => typeof(RecipientEntity);

        public ActorBase Produce() => new RecipientEntity(key, services);

        public void Release(ActorBase actor)
        {
        }
    }

    /// <summary>A send, from its wait for the send rate to its outcome: what it sends, at which rate, and who waits for it.</summary>
    private sealed record InFlightSend(Deliver Command, RenderedMessage Message, SendThrottle Throttle, IActorRef ReplyTo);

    /// <summary>A wait for the send rate: the events to persist with the intent, how to give the wait up, and the permit.</summary>
    private sealed record PermitWait(
        IReadOnlyList<IRecipientEvent> Events, bool Claims, CancellationTokenSource Abandon, SendThrottle Throttle, Task<SendPermit> Permit);

    /// <summary>A write's claim of a message id new to the recipient, and what to do if another row has the id.</summary>
    private sealed record Claim(string MessageId, Action<MessageRecord?> Lost);

    // The entity's messages to itself never leave its node: Akka need not check they serialize.
    private sealed record SendFinished(AwsResult<string> Result) : INoSerializationVerificationNeeded;

    private sealed record SendCrashed(Exception Cause) : INoSerializationVerificationNeeded;

    private sealed record PermitGranted(SendPermit Permit) : INoSerializationVerificationNeeded;

    private sealed record PermitRefused(Exception Cause) : INoSerializationVerificationNeeded;

    /// <summary>What a delivery decision leads to.</summary>
    private abstract record Step
    {
        public sealed record Answer(DeliveryOutcome Outcome) : Step;

        public sealed record Record(IReadOnlyList<IRecipientEvent> Events, Func<DeliveryOutcome> Outcome, bool Claims = false) : Step;

        public sealed record AwaitPermit(IReadOnlyList<IRecipientEvent> Events, InFlightSend InFlight, bool Claims) : Step;
    }
}
