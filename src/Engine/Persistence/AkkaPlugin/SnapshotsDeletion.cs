using Messaging.Engine.Persistence.Sql;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>Deletes the snapshots of one persistence id that fall in a range (one snapshot: a range of one).</summary>
internal sealed class SnapshotsDeletion(string persistenceId, SnapshotRange range) : StoreWrite(persistenceId)
{
    private const string DeleteSql = """
        DELETE FROM snapshot_store
        WHERE persistence_id = @pid AND sequence_nr >= @minseq AND sequence_nr <= @maxseq
          AND created_at >= @mints AND created_at <= @maxts
        """;

    private string PersistenceId => PersistenceIds[0];

    public override void AddTo(StatementBatch statements) => statements.Add(DeleteSql, range.Parameters(PersistenceId));

    public override string ToString() => $"DeleteSnapshots({PersistenceId} {range})";
}
