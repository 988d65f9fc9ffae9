using Messaging.Engine.Persistence.Sql;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>Saves a snapshot; saving again at the same sequence number replaces it.</summary>
internal sealed class SnapshotWrite(SnapshotRow row) : StoreWrite(row.PersistenceId)
{
    private const string UpsertSql = """
        INSERT INTO snapshot_store (persistence_id, sequence_nr, created_at, serializer_id, manifest, payload)
        VALUES (@pid, @seq, @at, @serializer, @manifest, @payload)
        ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET
            created_at = excluded.created_at, serializer_id = excluded.serializer_id,
            manifest = excluded.manifest, payload = excluded.payload
        """;

    public override void AddTo(StatementBatch statements) =>
        statements.Add(UpsertSql,
            ("@pid", row.PersistenceId), ("@seq", row.SequenceNr), ("@at", row.CreatedAtTicks),
            ("@serializer", row.SerializerId), ("@manifest", row.Manifest), ("@payload", row.Payload));

    public override string ToString() => $"SaveSnapshot({row.PersistenceId} #{row.SequenceNr})";
}
