using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Serialization;
using Messaging.Contracts.Status;
using Messaging.Engine.Ingest;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients.Events;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Recipients;

/// <summary>
/// Recovery and persistence for recipient actors: state = latest snapshot + the events after it; an append writes the
/// events and the affected <c>messages</c> rows in one transaction, and every <see cref="JournalOptions.SnapshotEvery"/>
/// events the same transaction also saves a snapshot and trims the journal behind it.
/// </summary>
public sealed class RecipientJournal(
    IJournal journal, RecipientEventSerializer serializer, IOptions<JournalOptions> options, IOptions<IngestOptions>? ingest = null)
{
    private readonly int _snapshotEvery = options.Value.SnapshotEvery;

    // Status events are written to the outbox only when there is a status queue to publish them to.
    private readonly bool _publishStatus = ingest?.Value.StatusQueueName is not null;

    public async Task<(RecipientState State, long SequenceNr)> LoadAsync(RecipientKey key, CancellationToken cancellationToken)
    {
        var persistenceId = key.ToString();
        var snapshot = await journal.LoadSnapshotAsync(persistenceId, cancellationToken).ConfigureAwait(false);
        var state = snapshot is null ? RecipientState.Empty : serializer.DeserializeState(snapshot.Type, snapshot.Payload);
        var sequenceNr = snapshot?.SequenceNr ?? 0;
        foreach (var stored in await journal.ReadEventsAsync(persistenceId, sequenceNr + 1, cancellationToken).ConfigureAwait(false))
        {
            state = state.Apply(serializer.Deserialize(stored.Type, stored.Payload));
            sequenceNr = stored.SequenceNr;
        }

        return (state, sequenceNr);
    }

    /// <summary>
    /// Appends <paramref name="events"/> after <paramref name="expectedSequenceNr"/>. On success returns the state with
    /// the events applied; on a conflict, nothing was written and the caller reloads and decides again.
    /// </summary>
    public async Task<(AppendResult Result, RecipientState State)> AppendAsync(
        RecipientKey key, long expectedSequenceNr, RecipientState before, IReadOnlyList<IRecipientEvent> events,
        CancellationToken cancellationToken)
    {
        var after = before.ApplyAll(events);
        var rows = RecipientReadModel.RowsFor(key, before, after, events, _publishStatus);
        var request = new AppendRequest(key.ToString(), expectedSequenceNr, events.Select(serializer.Serialize).ToList(), rows.Messages)
        {
            StatusChanges = rows.StatusChanges,
            Suppression = rows.Suppression,
            SuppressionLifted = rows.SuppressionLifted,
            // A message id new to this recipient must be new everywhere: one send per messageId across recipients.
            Claims = events.OfType<IMessageEvent>().Where(e => e is RequestAccepted or Rejected && before.Find(e.MessageId) is null)
                .Select(e => e.MessageId).Distinct().ToList(),
        };
        if (request.LastSequenceNr / _snapshotEvery > expectedSequenceNr / _snapshotEvery)
        {
            // The snapshot rides in the events' own transaction: no extra commit, and never ahead of the journal.
            request = request with { Snapshot = serializer.SerializeState(after) };
        }

        var result = await journal.AppendAsync(request, cancellationToken).ConfigureAwait(false);
        return (result, after);
    }

    /// <summary>A message's row in the read table, whichever recipient it belongs to.</summary>
    public Task<MessageRecord?> FindMessageAsync(string messageId, CancellationToken cancellationToken) =>
        journal.FindMessageAsync(messageId, cancellationToken);
}
