using Messaging.Engine.Actors;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Recipients;

/// <summary>
/// One recipient: a thin shell around pure decisions. Receive → decide → persist → apply → reply. State changes only
/// after the journal says the events are durable; a journal failure throws, and the supervisor restarts the actor from
/// storage. A conflict (another node wrote first) reloads the state and decides again.
/// </summary>
public sealed class RecipientActor(RecipientKey key, RecipientJournal journal, TimeProvider timeProvider) : Actor<RecipientCommand>
{
    /// <summary>Reload-and-decide rounds before a conflict is treated as a failure (the supervisor then retries).</summary>
    private const int MaxConflictRounds = 8;

    private RecipientState _state = RecipientState.Empty;
    private long _sequenceNr;

    protected internal override async ValueTask StartedAsync(CancellationToken cancellationToken) =>
        (_state, _sequenceNr) = await journal.LoadAsync(key, cancellationToken).ConfigureAwait(false);

    protected internal override async ValueTask ReceiveAsync(RecipientCommand message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case GetRecipientState get:
                get.Reply.Complete(new RecipientSnapshot(key, _state, _sequenceNr));
                break;
            case SuppressRecipient suppress:
                var suppressed = await DecideAndPersistAsync(
                    s => RecipientDecisions.Suppress(s, suppress.By, suppress.Note, timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
                suppress.Reply.Complete(suppressed.Count > 0 ? SuppressionChange.Suppressed : SuppressionChange.AlreadySuppressed);
                break;
            case UnsuppressRecipient unsuppress:
                var lifted = await DecideAndPersistAsync(
                    s => RecipientDecisions.Unsuppress(s, unsuppress.By, unsuppress.Reason, timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
                unsuppress.Reply.Complete(lifted.Count > 0 ? SuppressionChange.Unsuppressed : SuppressionChange.WasNotSuppressed);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(message), message, $"{key} does not handle {message.GetType().Name}.");
        }
    }

    /// <summary>Decides against the current state and persists the events; returns the events that were written.</summary>
    private async Task<IReadOnlyList<IRecipientEvent>> DecideAndPersistAsync(
        Func<RecipientState, IReadOnlyList<IRecipientEvent>> decide, CancellationToken cancellationToken)
    {
        for (var round = 1; round <= MaxConflictRounds; round++)
        {
            var events = decide(_state);
            if (events.Count == 0)
            {
                return events;
            }

            var (result, after) = await journal.AppendAsync(key, _sequenceNr, _state, events, cancellationToken).ConfigureAwait(false);
            if (result is AppendResult.Written written)
            {
                (_state, _sequenceNr) = (after, written.HighestSequenceNr);
                return events;
            }

            (_state, _sequenceNr) = await journal.LoadAsync(key, cancellationToken).ConfigureAwait(false);
        }

        throw new JournalStorageException(
            $"{key}: other writers won {MaxConflictRounds} rounds in a row; giving up this attempt.");
    }
}
