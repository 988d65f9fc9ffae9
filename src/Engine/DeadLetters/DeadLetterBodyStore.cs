using Messaging.Engine.Persistence.Sql;
using static Messaging.Engine.Persistence.Sql.SqlCommands;

namespace Messaging.Engine.DeadLetters;

/// <summary>
/// The bodies of dead letters too large to travel with their reasons (SQS's 1 MiB limit counts the attributes too): kept
/// in the engine's database while the dead-letter queue holds a small reference, so peek and redrive see the original.
/// A row lives as long as its DLQ message can: it is deleted when the message is redriven or purged, or after the
/// queue's retention.
/// </summary>
public sealed class DeadLetterBodyStore
{
    private readonly SqlJournal _journal;

    internal DeadLetterBodyStore(SqlJournal journal) => _journal = journal;

    private SqlDialect Dialect => _journal.Dialect;

    /// <summary>Stores a body under a new id, and forgets bodies older than the dead-letter queue keeps its messages.</summary>
    public Task<string> SaveAsync(string body, DateTimeOffset now, CancellationToken cancellationToken) =>
        Dialect.RunAsync("Storing a dead letter's body", forWrite: true, async (connection, ct) =>
        {
            var id = Guid.NewGuid().ToString("N");
            var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var _ = transaction.ConfigureAwait(false);
            using (var insert = Command(connection, transaction, "INSERT INTO dead_letter_bodies (id, body, stored_at) VALUES (@id, @body, @at)"))
            {
                Bind(insert, "id", id);
                Bind(insert, "body", body);
                Bind(insert, "at", now.ToUnixTimeMilliseconds());
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            using (var expire = Command(connection, transaction, "DELETE FROM dead_letter_bodies WHERE stored_at < @before"))
            {
                Bind(expire, "before", (now - Ingest.QueueDirectory.DeadLetterRetention).ToUnixTimeMilliseconds());
                await expire.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return id;
        }, cancellationToken);

    /// <summary>The stored body, or null when there is none under <paramref name="id"/>.</summary>
    public Task<string?> LoadAsync(string id, CancellationToken cancellationToken) =>
        Dialect.RunAsync("Reading a dead letter's body", forWrite: false, async (connection, ct) =>
        {
            using var select = Command(connection, null, "SELECT body FROM dead_letter_bodies WHERE id = @id");
            Bind(select, "id", id);
            return await select.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
        }, cancellationToken);

    public Task DeleteAsync(string id, CancellationToken cancellationToken) =>
        Dialect.RunAsync("Deleting a dead letter's body", forWrite: true, async (connection, ct) =>
        {
            using var delete = Command(connection, null, "DELETE FROM dead_letter_bodies WHERE id = @id");
            Bind(delete, "id", id);
            return await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
}
