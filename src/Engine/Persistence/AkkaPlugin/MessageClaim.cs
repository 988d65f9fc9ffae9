using Messaging.Engine.Persistence.Sql;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// The first row of a message id in <c>messages</c>, inserted only if no recipient has the id yet: one send per message
/// id across recipients and nodes. Idempotent, so a recipient that claims again (a retry, a restart) changes nothing.
/// </summary>
internal sealed class MessageClaim(MessageRecord row) : StoreWrite(row.RecipientKey)
{
    public MessageRecord Row { get; } = row;

    /// <summary>True once committed when this claim inserted the row (the id was free); false when a row had it.</summary>
    public bool Inserted { get; private set; }

    public override void AddTo(StatementBatch statements) => statements.Add(SqlJournal.ClaimMessageSql, SqlJournal.MessageParameters(Row));

    public override void Committed(ReadOnlySpan<int> affected) => Inserted = affected[0] == 1;

    public override string ToString() => $"Claim({Row.MessageId} for {Row.RecipientKey})";
}
