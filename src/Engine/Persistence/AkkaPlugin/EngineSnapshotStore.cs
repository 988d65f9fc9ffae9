using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// The engine's Akka.Persistence snapshot store, on the same database and writer as <see cref="EngineJournal"/> (its
/// <c>journal</c> setting names the journal's section). Loading a snapshot for a recovery also reads the events after
/// it and the highest sequence number, in the same round trip, and keeps them for the journal.
/// </summary>
internal sealed class EngineSnapshotStore : SnapshotStore
{
    private readonly EventStore _store;
    private readonly Akka.Serialization.Serialization _serialization;

    public EngineSnapshotStore(Config config)
    {
        var journal = config.GetString("journal", "akka.persistence.journal.engine");
        _store = EventStores.Get(Context.System).For(Context.System.Settings.Config.GetConfig(journal));
        _serialization = Context.System.Serialization;
    }

    protected override async Task<SelectedSnapshot?> LoadAsync(
        string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        var read = await _store.ReadForRecoveryAsync(persistenceId, SnapshotRange.Of(criteria), cancellationToken).ConfigureAwait(false);
        if (read.Snapshot is not { } row)
        {
            return null;
        }

        return new SelectedSnapshot(
            new SnapshotMetadata(persistenceId, row.SequenceNr, new DateTime(row.CreatedAtTicks, DateTimeKind.Utc)),
            _serialization.Deserialize(row.Payload, row.SerializerId, row.Manifest));
    }

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var serializer = _serialization.FindSerializerFor(snapshot);
        var row = new SnapshotRow(
            metadata.PersistenceId, metadata.SequenceNr, metadata.Timestamp.ToUniversalTime().Ticks, serializer.Identifier,
            Akka.Serialization.Serialization.ManifestFor(serializer, snapshot), serializer.ToBinary(snapshot));
        return _store.WriteAsync(new SnapshotWrite(row), cancellationToken);
    }

    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            new SnapshotsDeletion(metadata.PersistenceId,
                new SnapshotRange(metadata.SequenceNr, metadata.SequenceNr, 0, DateTime.MaxValue.Ticks)),
            cancellationToken);

    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        _store.WriteAsync(new SnapshotsDeletion(persistenceId, SnapshotRange.Of(criteria)), cancellationToken);
}
