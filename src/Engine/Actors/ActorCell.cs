using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Actors;

/// <summary>
/// One live actor: its bounded mailbox, the loop that hands it one message at a time, and its supervision. The loop is
/// an async method on the thread pool (no thread per actor) that ends when the mailbox is closed and drained.
/// </summary>
/// <remarks>
/// Closing (passivation or shutdown) completes the mailbox's writer. Anything that got in before that is still
/// handled; a sender that finds the mailbox closed waits for <see cref="Completion"/> and asks its registry again,
/// which by then has removed this cell — so there is never more than one live cell per entity.
/// </remarks>
internal sealed partial class ActorCell<TMessage>
{
    private readonly Channel<Envelope<TMessage>> _mailbox;
    private readonly Func<Actor<TMessage>> _factory;
    private readonly ActorRuntime _runtime;
    private readonly Action<ActorCell<TMessage>>? _stopped;
    private readonly Lock _gate = new();
    private Actor<TMessage>? _actor;
    private Task _loop = Task.CompletedTask;
    private long _lastActivityTicks;
    private volatile bool _closing;
    private volatile bool _busy;

    public ActorCell(string name, Func<Actor<TMessage>> factory, ActorRuntime runtime, Action<ActorCell<TMessage>>? stopped)
    {
        Name = name;
        _factory = factory;
        _runtime = runtime;
        _stopped = stopped;
        _lastActivityTicks = runtime.Time.GetUtcNow().UtcTicks;
        _mailbox = Channel.CreateBounded<Envelope<TMessage>>(new BoundedChannelOptions(runtime.Options.MailboxCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Name { get; }

    public bool IsClosing => _closing;

    /// <summary>Completes when the mailbox is closed, drained, and the actor stopped. Never faults.</summary>
    public Task Completion => _loop;

    public int QueuedMessages => _mailbox.Reader.Count;

    public void Start() => _loop = RunAsync();

    public bool TryPost(in Envelope<TMessage> envelope) => _mailbox.Writer.TryWrite(envelope);

    /// <summary>Waits for room in the mailbox. Throws <see cref="ChannelClosedException"/> when the cell closes.</summary>
    public ValueTask PostAsync(Envelope<TMessage> envelope, CancellationToken cancellationToken) =>
        _mailbox.Writer.WriteAsync(envelope, cancellationToken);

    /// <summary>When the actor last received or handled a message (UTC ticks).</summary>
    public long LastActivityTicks => Volatile.Read(ref _lastActivityTicks);

    /// <summary>Closes the mailbox if the actor has been idle since <paramref name="idleSinceTicks"/> and has nothing queued.</summary>
    public bool TryPassivate(long idleSinceTicks)
    {
        lock (_gate)
        {
            if (_closing || _busy || _mailbox.Reader.Count > 0 || Volatile.Read(ref _lastActivityTicks) > idleSinceTicks)
            {
                return false;
            }

            _closing = true;
        }

        _mailbox.Writer.TryComplete();
        return true;
    }

    /// <summary>Takes no more messages; what is queued is still handled.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closing = true;
        }

        _mailbox.Writer.TryComplete();
    }

    private async Task RunAsync()
    {
        var reader = _mailbox.Reader;
        var throughput = _runtime.Options.Throughput;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var handled = 0;
                while (reader.TryRead(out var envelope))
                {
                    _busy = true;
                    if (_runtime.Aborted.IsCancellationRequested)
                    {
                        Abandon(envelope);
                        continue;
                    }

                    var attempt = _actor is { } actor ? Receive(actor, envelope.Message) : StartAndReceiveAsync(envelope.Message);
                    if (attempt.IsCompletedSuccessfully)
                    {
                        attempt.GetAwaiter().GetResult();
                    }
                    else
                    {
                        await SuperviseAsync(envelope, attempt).ConfigureAwait(false);
                    }

                    // Fairness: a busy actor gives its thread back now and then, so it cannot starve the others.
                    if (++handled >= throughput)
                    {
                        handled = 0;
                        await Task.Yield();
                    }
                }

                Volatile.Write(ref _lastActivityTicks, _runtime.Time.GetUtcNow().UtcTicks);
                _busy = false;
            }

            if (_actor is { } started)
            {
                _actor = null;
                await started.StoppedAsync(_runtime.Aborted).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // Only StoppedAsync can get here (handler failures are supervised): the actor is gone either way.
            LogStopFailed(_runtime.Logger, e, Name);
        }
        finally
        {
            _stopped?.Invoke(this);
        }
    }

    private ValueTask Receive(Actor<TMessage> actor, TMessage message)
    {
        try
        {
            return actor.ReceiveAsync(message, _runtime.Aborted);
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    private async ValueTask StartAndReceiveAsync(TMessage message)
    {
        var actor = _actor;
        if (actor is null)
        {
            actor = _factory();
            await actor.StartedAsync(_runtime.Aborted).ConfigureAwait(false);
            _actor = actor;
        }

        await actor.ReceiveAsync(message, _runtime.Aborted).ConfigureAwait(false);
    }

    private async Task SuperviseAsync(Envelope<TMessage> envelope, ValueTask attempt)
    {
        var failures = 0;
        while (true)
        {
            try
            {
                await attempt.ConfigureAwait(false);
                return;
            }
            catch (Exception e)
            {
                // The instance's state is unknown after a failure: the next attempt starts a fresh one from storage.
                _actor = null;
                failures++;
                if (_runtime.Supervisor.Decide(e, failures) == Directive.Escalate)
                {
                    LogEscalated(_runtime.Logger, e, Name, failures);
                    var reason = $"{e.GetType().Name}: {e.Message}";
                    envelope.Reply?.Fail(new PoisonMessageException(
                        $"{Name} failed on the message {failures} time(s) in a row; last failure: {reason}", failures, e));
                    _runtime.DeadLetters.Publish(new DeadLetter(Name, envelope.Message, reason, e, failures));
                    return;
                }

                LogRestarting(_runtime.Logger, e, Name, failures);
            }

            attempt = StartAndReceiveAsync(envelope.Message);
        }
    }

    private void Abandon(Envelope<TMessage> envelope)
    {
        const string reason = "the actor host stopped before the message was handled";
        envelope.Reply?.Fail(new ActorHostStoppedException($"{Name}: {reason}."));
        _runtime.DeadLetters.Publish(new DeadLetter(Name, envelope.Message, reason, null, 0));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Actor {Actor} failed (failure {Failures} in a row); restarting it from storage")]
    private static partial void LogRestarting(ILogger logger, Exception exception, string actor, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "Actor {Actor} failed {Failures} times in a row on one message; escalating it as poison")]
    private static partial void LogEscalated(ILogger logger, Exception exception, string actor, int failures);

    [LoggerMessage(Level = LogLevel.Error, Message = "Actor {Actor} failed while stopping")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, string actor);
}
