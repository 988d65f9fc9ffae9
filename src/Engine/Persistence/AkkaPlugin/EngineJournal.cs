using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// The engine's Akka.Persistence journal: each <c>AtomicWrite</c> goes through the group commit, so many entities'
/// events share one transaction (one fsync), and a persist completes only once its batch is durable. Payloads are
/// stored with Akka's serialization (serializer id and string manifest), never a default chosen here.
/// </summary>
/// <remarks>
/// A recovery's highest sequence number and replay are answered from what the snapshot store read for it in the same
/// round trip when it can (<see cref="RecoveryPrefetches"/>); otherwise they query. A write that fails in storage
/// fails the call (the entity gets a persist failure) and leaves nothing of it; a payload that cannot be serialized, and
/// an entity's events that claim a message id already taken (<see cref="MessageIdTakenException"/>), are rejected alone.
/// </remarks>
internal sealed class EngineJournal : AsyncWriteJournal
{
    private readonly EventStore _store;
    private readonly Akka.Serialization.Serialization _serialization;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public EngineJournal(Config config)
    {
        var stores = EventStores.Get(Context.System);
        _store = stores.For(config);
        _timeProvider = stores.TimeProvider;
        _serialization = Context.System.Serialization;
    }

    protected override async Task<IImmutableList<Exception>> WriteMessagesAsync(
        IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var atomicWrites = messages as IReadOnlyList<AtomicWrite> ?? messages.ToList();
        var writtenAt = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        Exception[]? rejections = null;
        var rows = new List<JournalRow>();
        for (var i = 0; i < atomicWrites.Count; i++)
        {
            try
            {
                rows.AddRange(ToRows(atomicWrites[i], writtenAt));
            }
            catch (Exception e)
            {
                // Not stored, so never replayed: Akka tells the entity its event was rejected.
                (rejections ??= new Exception[atomicWrites.Count])[i] = e;
            }
        }

        // Akka fails the whole call on any storage failure (rejections are only for what was not stored), and a call
        // may carry several entities' writes: all of them go in one transaction, so a failed call leaves none stored.
        if (rows.Count > 0)
        {
            var write = new EventsWrite(rows);
            await _store.WriteAsync(write, cancellationToken).ConfigureAwait(false);
            foreach (var lost in write.LostClaims)
            {
                // Its events stored after all: an earlier attempt of this write committed though its commit looked
                // failed (the batch was then retried write by write), and the row the claim found is its own. Not a
                // duplicate — a failure, as the sequence number taken twice reported before claims rode in the write:
                // the entity recovers. Asked of the journal itself, so a failed owner look-up cannot hide it.
                if (await _store.ReadHighestSequenceNrAsync(lost.PersistenceId, cancellationToken).ConfigureAwait(false) >= lost.SequenceNr)
                {
                    throw new JournalStorageException(
                        $"The events of {lost.PersistenceId} up to #{lost.SequenceNr} were stored by an earlier attempt of this write.");
                }

                var claim = lost.ReadModel!.Claim!;
                var taken = new MessageIdTakenException(claim.MessageId, await OwnerOfAsync(claim.MessageId, cancellationToken).ConfigureAwait(false));
                for (var i = 0; i < atomicWrites.Count; i++)
                {
                    if (atomicWrites[i].PersistenceId == lost.PersistenceId && rejections?[i] is null)
                    {
                        (rejections ??= new Exception[atomicWrites.Count])[i] = taken;
                    }
                }
            }
        }

        return rejections is null ? null! : ImmutableList.Create(rejections);
    }

    // The rest of the call is stored: a failed look-up must not fail it, so the refusal then goes without the owner's row.
    private async Task<MessageRecord?> OwnerOfAsync(string messageId, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.FindMessageAsync(messageId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JournalStorageException or OperationCanceledException)
        {
            _log.Warning("The owner of message id {0} could not be read after its claim was refused: {1}", messageId, e.Message);
            return null;
        }
    }

    private JournalRow[] ToRows(AtomicWrite write, long writtenAt)
    {
        var messages = (IImmutableList<IPersistentRepresentation>)write.Payload;
        var rows = new JournalRow[messages.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var message = messages[i];
            var payload = message.Payload;
            string? tags = null;
            if (payload is Tagged tagged)
            {
                payload = tagged.Payload;
                tags = tagged.Tags.Count == 0 ? null : string.Join(';', tagged.Tags.Order(StringComparer.Ordinal));
            }

            ReadModelRows? readModel = null;
            if (payload is WithReadModel withRows)
            {
                (payload, readModel) = (withRows.Event, withRows.Rows);
            }

            var serializer = _serialization.FindSerializerFor(payload);
            rows[i] = new JournalRow(
                message.PersistenceId, message.SequenceNr, serializer.Identifier,
                Akka.Serialization.Serialization.ManifestFor(serializer, payload), serializer.ToBinary(payload),
                writtenAt, message.WriterGuid ?? "", tags, readModel);
        }

        return rows;
    }

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        _store.WriteAsync(new EventsDeletion(persistenceId, toSequenceNr), cancellationToken);

    public override async Task<long> ReadHighestSequenceNrAsync(
        string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        _store.Prefetches.Find(persistenceId, take: false) is { } prefetched
            ? prefetched.HighestSequenceNr
            : await _store.ReadHighestSequenceNrAsync(persistenceId, cancellationToken).ConfigureAwait(false);

    public override async Task ReplayMessagesAsync(
        IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        var next = fromSequenceNr;
        var left = max;
        if (_store.Prefetches.Find(persistenceId, take: true) is { } prefetched && fromSequenceNr > prefetched.EventsAfter)
        {
            foreach (var row in prefetched.Events)
            {
                if (row.SequenceNr < fromSequenceNr)
                {
                    continue;
                }

                if (row.SequenceNr > toSequenceNr || left == 0)
                {
                    return;
                }

                recoveryCallback(ToPersistent(row));
                left--;
            }

            if (prefetched.EventsComplete)
            {
                return;
            }

            if (prefetched.Events.Count > 0)
            {
                next = Math.Max(next, prefetched.Events[^1].SequenceNr + 1);
            }
        }

        if (left > 0 && next <= toSequenceNr)
        {
            await _store.ReplayAsync(persistenceId, next, toSequenceNr, left, row => recoveryCallback(ToPersistent(row)), CancellationToken.None)
                .ConfigureAwait(false);
        }
    }

    private Persistent ToPersistent(JournalRow row) => new(
        _serialization.Deserialize(row.Payload, row.SerializerId, row.Manifest),
        row.SequenceNr,
        row.PersistenceId,
        string.Empty,
        isDeleted: false,
        ActorRefs.NoSender,
        row.WriterUuid,
        DateTimeOffset.FromUnixTimeMilliseconds(row.WrittenAt).UtcTicks);
}
