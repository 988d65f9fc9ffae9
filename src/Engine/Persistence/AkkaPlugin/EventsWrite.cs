using Messaging.Engine.Persistence.Sql;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// One Akka <c>AtomicWrite</c>: all its events go in, or none. A sequence number already taken violates the primary key,
/// which fails the write (two incarnations of one entity must never both append).
/// </summary>
internal sealed class EventsWrite(string persistenceId, IReadOnlyList<JournalRow> rows) : StoreWrite(persistenceId)
{
    private const string InsertSql = """
        INSERT INTO event_journal (persistence_id, sequence_nr, serializer_id, manifest, payload, written_at, writer_uuid, tags, deleted)
        VALUES (@pid, @seq, @serializer, @manifest, @payload, @at, @writer, @tags, 0)
        """;

    public IReadOnlyList<JournalRow> Rows { get; } = rows;

    public override void AddTo(StatementBatch statements)
    {
        foreach (var row in Rows)
        {
            statements.Add(InsertSql,
                ("@pid", row.PersistenceId), ("@seq", row.SequenceNr), ("@serializer", row.SerializerId),
                ("@manifest", row.Manifest), ("@payload", row.Payload), ("@at", row.WrittenAt),
                ("@writer", row.WriterUuid), ("@tags", (object?)row.Tags ?? DBNull.Value));
        }
    }

    public override string ToString() =>
        $"Write({PersistenceId} #{Rows[0].SequenceNr}{(Rows.Count > 1 ? $"–{Rows[^1].SequenceNr}" : "")})";
}
