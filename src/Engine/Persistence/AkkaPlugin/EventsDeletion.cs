using Messaging.Engine.Persistence.Sql;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// Akka's <c>DeleteMessagesTo</c>: events up to <paramref name="toSequenceNr"/> are gone from replay, but the highest
/// event's row stays, marked deleted, so the highest sequence number survives and an entity never reuses one.
/// </summary>
internal sealed class EventsDeletion(string persistenceId, long toSequenceNr) : StoreWrite(persistenceId)
{
    private const string MarkHighestSql = """
        UPDATE event_journal SET deleted = 1
        WHERE persistence_id = @pid AND sequence_nr <= @to
          AND sequence_nr = (SELECT MAX(sequence_nr) FROM event_journal WHERE persistence_id = @pid)
        """;

    private const string DeleteSql = """
        DELETE FROM event_journal
        WHERE persistence_id = @pid AND sequence_nr <= @to
          AND sequence_nr < (SELECT MAX(sequence_nr) FROM event_journal WHERE persistence_id = @pid)
        """;

    private string PersistenceId => PersistenceIds[0];

    public override void AddTo(StatementBatch statements)
    {
        statements.Add(MarkHighestSql, ("@pid", PersistenceId), ("@to", toSequenceNr));
        statements.Add(DeleteSql, ("@pid", PersistenceId), ("@to", toSequenceNr));
    }

    public override string ToString() => $"DeleteEvents({PersistenceId} to #{toSequenceNr})";
}
