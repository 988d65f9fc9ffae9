using Messaging.Engine.Persistence.Sql;

namespace Messaging.Engine.Persistence.AkkaPlugin;

/// <summary>
/// The first row of a message id in <c>messages</c>, inserted only if no recipient has the id yet: one send per message
/// id across recipients and nodes. Idempotent, so a recipient that claims again (a retry, a restart) changes nothing.
/// </summary>
internal sealed class MessageClaim(MessageRecord row) : StoreWrite(row.RecipientKey)
{
    public MessageRecord Row { get; } = row;

    public override void AddTo(StatementBatch statements) => statements.Add(SqlJournal.ClaimMessageSql, SqlJournal.MessageParameters(Row));

    public override string ToString() => $"Claim({Row.MessageId} for {Row.RecipientKey})";
}
