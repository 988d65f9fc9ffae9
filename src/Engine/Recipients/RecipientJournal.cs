using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Recipients;

/// <summary>
/// Recovery and persistence for recipient actors: state = latest snapshot + the events after it; an append writes the
/// events and the affected <c>messages</c> rows in one transaction, then every <see cref="JournalOptions.SnapshotEvery"/>
/// events a snapshot is saved and the journal trimmed behind it.
/// </summary>
public sealed partial class RecipientJournal(
    IJournal journal, RecipientEventSerializer serializer, IOptions<JournalOptions> options, ILogger<RecipientJournal> logger)
{
    private readonly int _snapshotEvery = options.Value.SnapshotEvery;

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
        var request = new AppendRequest(
            key.ToString(), expectedSequenceNr, events.Select(serializer.Serialize).ToList(), MessageRows(key, after, events));
        var result = await journal.AppendAsync(request, cancellationToken).ConfigureAwait(false);
        if (result is AppendResult.Written written &&
            written.HighestSequenceNr / _snapshotEvery > expectedSequenceNr / _snapshotEvery)
        {
            await SnapshotAsync(key, after, written.HighestSequenceNr, events[^1].At, cancellationToken).ConfigureAwait(false);
        }

        return (result, after);
    }

    private async Task SnapshotAsync(
        RecipientKey key, RecipientState state, long sequenceNr, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            var serialized = serializer.SerializeState(state);
            await journal.SaveSnapshotAsync(
                new Snapshot(key.ToString(), sequenceNr, serialized.Type, serialized.Payload, at), cancellationToken).ConfigureAwait(false);
            await journal.TrimEventsAsync(key.ToString(), sequenceNr, cancellationToken).ConfigureAwait(false);
        }
        catch (JournalStorageException e)
        {
            // The events are durable; a snapshot only shortens recovery. The next boundary tries again.
            LogSnapshotFailed(e, key.ToString(), sequenceNr);
        }
    }

    /// <summary>The read-table rows for every message the events touched, as the new state sees them.</summary>
    private static List<MessageRecord> MessageRows(RecipientKey key, RecipientState after, IReadOnlyList<IRecipientEvent> events)
    {
        var rows = new List<MessageRecord>();
        foreach (var messageId in events.OfType<IMessageEvent>().Select(e => e.MessageId).Distinct())
        {
            if (after.Find(messageId) is { } m)
            {
                rows.Add(new MessageRecord(
                    m.MessageId, key.ToString(), key.Channel == Channel.Email ? "email" : "sms",
                    m.Category == Category.Marketing ? "marketing" : "transactional",
                    StatusName(m.Status), m.Reason, m.ProviderMessageId, m.AcceptedAt, m.UpdatedAt));
            }
        }

        return rows;
    }

    private static string StatusName(Contracts.Status.MessageStatus status)
    {
        var name = status.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot of {PersistenceId} at {SequenceNr} failed; recovery reads more events until the next one")]
    private partial void LogSnapshotFailed(Exception exception, string persistenceId, long sequenceNr);
}
