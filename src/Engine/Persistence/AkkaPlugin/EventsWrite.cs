using Messaging.Engine.Persistence.Sql;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// The events of one journal write call (its Akka <c>AtomicWrite</c>s, possibly of several entities): all go in, or
/// none, so a call reported failed leaves nothing stored. A sequence number already taken violates the primary key,
/// which fails the write (two incarnations of one entity must never both append). An entity whose events claim a
/// message id another row has (<see cref="ReadModelRows.Claim"/>) has none of its events in this call stored: they are
/// <see cref="LostClaims"/>, and the others go in.
/// </summary>
internal sealed class EventsWrite(IReadOnlyList<JournalRow> rows) : StoreWrite(PersistenceIdsOf(rows))
{
    private const string InsertSql = """
        INSERT INTO event_journal (persistence_id, sequence_nr, serializer_id, manifest, payload, written_at, writer_uuid, tags, deleted)
        VALUES (@pid, @seq, @serializer, @manifest, @payload, @at, @writer, @tags, 0)
        """;

    private List<JournalRow>? _claiming;
    private List<JournalRow>? _lost;

    public IReadOnlyList<JournalRow> Rows { get; } = rows;

    /// <summary>Once committed: the rows whose claim found the id taken (their entities' events were not stored).</summary>
    public IReadOnlyList<JournalRow> LostClaims => _lost ?? [];

    /// <summary>Whether <paramref name="persistenceId"/>'s events were left out for a lost claim.</summary>
    public bool Refused(string persistenceId)
    {
        foreach (var lost in LostClaims)
        {
            if (string.Equals(lost.PersistenceId, persistenceId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public override void AddGuardsTo(StatementBatch statements)
    {
        _claiming = null;
        _lost = null;
        foreach (var row in Rows)
        {
            if (row.ReadModel?.Claim is { } claim)
            {
                statements.Add(SqlJournal.ClaimMessageSql, SqlJournal.MessageParameters(claim));
                (_claiming ??= []).Add(row);
            }
        }
    }

    public override void Guarded(ReadOnlySpan<int> affected)
    {
        for (var i = 0; i < affected.Length; i++)
        {
            if (affected[i] == 0)
            {
                (_lost ??= []).Add(_claiming![i]);
            }
        }
    }

    public override void AddTo(StatementBatch statements)
    {
        foreach (var row in Rows)
        {
            if (_lost is not null && Refused(row.PersistenceId))
            {
                continue;
            }

            statements.Add(InsertSql,
                ("@pid", row.PersistenceId), ("@seq", row.SequenceNr), ("@serializer", row.SerializerId),
                ("@manifest", row.Manifest), ("@payload", row.Payload), ("@at", row.WrittenAt),
                ("@writer", row.WriterUuid), ("@tags", (object?)row.Tags ?? DBNull.Value));
            if (row.ReadModel is { } readModel)
            {
                AddReadModel(statements, readModel, row.WrittenAt);
            }
        }
    }

    // The same rows the in-house journal writes with an append, so the read side cannot disagree with the events.
    private static void AddReadModel(StatementBatch statements, ReadModelRows rows, long writtenAt)
    {
        foreach (var message in rows.Messages)
        {
            statements.Add(SqlJournal.UpsertMessageSql, SqlJournal.MessageParameters(message));
        }

        if (rows.Suppression is { } suppression)
        {
            statements.Add(SqlJournal.UpsertSuppressionSql, SqlJournal.SuppressionParameters(suppression));
        }
        else if (rows.SuppressionLifted)
        {
            statements.Add(SqlJournal.DeleteSuppressionSql, ("@key", rows.RecipientKey));
        }

        foreach (var change in rows.StatusChanges)
        {
            statements.Add(SqlJournal.InsertStatusChangeSql, ("@id", change.MessageId), ("@payload", change.Payload), ("@at", writtenAt));
        }
    }

    private static IReadOnlyList<string> PersistenceIdsOf(IReadOnlyList<JournalRow> rows)
    {
        // Nearly every call carries one entity's events: its id is found without building a set.
        for (var i = 1; i < rows.Count; i++)
        {
            if (!string.Equals(rows[i].PersistenceId, rows[0].PersistenceId, StringComparison.Ordinal))
            {
                return rows.Select(r => r.PersistenceId).Distinct(StringComparer.Ordinal).ToList();
            }
        }

        return rows.Count == 0 ? [] : [rows[0].PersistenceId];
    }

    public override string ToString() => PersistenceIds.Count == 1
        ? $"Write({Rows[0].PersistenceId} #{Rows[0].SequenceNr}{(Rows.Count > 1 ? $"-{Rows[^1].SequenceNr}" : "")})"
        : $"Write({string.Join(", ", PersistenceIds)}: {Rows.Count} events)";
}
