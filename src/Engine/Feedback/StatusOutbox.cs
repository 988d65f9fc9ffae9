using Messaging.Engine.Persistence.Sql;
using static Messaging.Engine.Persistence.Sql.SqlCommands;

namespace Messaging.Engine.Feedback;

/// <summary>A status event waiting to be published.</summary>
public sealed record OutboxEntry(long Id, string MessageId, string Payload);

/// <summary>
/// The <c>status_outbox</c> table: status events written with the recipient's events, taken by whichever node's
/// publisher claims them first, and deleted once the status queue has them. A claim expires, so events of a node that
/// died mid-publish are published by another.
/// </summary>
public sealed class StatusOutbox
{
    private readonly SqlJournal _journal;

    internal StatusOutbox(SqlJournal journal) => _journal = journal;

    /// <summary>Claims up to <paramref name="most"/> unclaimed (or expired) events, oldest first, until <paramref name="claimUntil"/>.</summary>
    public Task<IReadOnlyList<OutboxEntry>> ClaimAsync(int most, DateTimeOffset now, DateTimeOffset claimUntil, CancellationToken cancellationToken) =>
        _journal.Dialect.RunAsync("Claiming status events", forWrite: true, async (connection, ct) =>
        {
            // The outer condition is checked again on a row another node locked first, so no event is claimed twice;
            // where the store can, claimers skip each other's locked rows rather than wait and come back empty.
            using var claim = Command(connection, null, $"""
                UPDATE status_outbox SET claimed_until = @until
                WHERE claimed_until < @now
                  AND id IN (SELECT id FROM status_outbox WHERE claimed_until < @now ORDER BY id LIMIT @most{_journal.Dialect.SkipLockedRows})
                RETURNING id, message_id, payload
                """);
            Bind(claim, "until", claimUntil.ToUnixTimeMilliseconds());
            Bind(claim, "now", now.ToUnixTimeMilliseconds());
            Bind(claim, "most", most);
            var reader = await claim.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var _ = reader.ConfigureAwait(false);
            var entries = new List<OutboxEntry>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                entries.Add(new OutboxEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
            }

            return (IReadOnlyList<OutboxEntry>)entries.OrderBy(e => e.Id).ToList();
        }, cancellationToken);

    /// <summary>Deletes published events.</summary>
    public Task<int> DeleteAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken) =>
        _journal.Dialect.RunAsync("Deleting published status events", forWrite: true, async (connection, ct) =>
        {
            var deleted = 0;
            foreach (var id in ids)
            {
                using var delete = Command(connection, null, "DELETE FROM status_outbox WHERE id = @id");
                Bind(delete, "id", id);
                deleted += await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return deleted;
        }, cancellationToken);

    /// <summary>Events not yet published (claimed or not): what an operator watches for a stuck publisher.</summary>
    public Task<long> CountAsync(CancellationToken cancellationToken) =>
        _journal.Dialect.RunAsync("Counting status events", forWrite: false, async (connection, ct) =>
        {
            using var count = Command(connection, null, "SELECT COUNT(*) FROM status_outbox");
            return Convert.ToInt64(await count.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);
}
