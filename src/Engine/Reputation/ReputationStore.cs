using System.Globalization;
using Messaging.Engine.Persistence.Sql;
using static Messaging.Engine.Persistence.Sql.SqlCommands;

namespace Messaging.Engine.Reputation;

/// <summary>A category's pause as stored: paused or resumed, why, by whom, since when.</summary>
public sealed record CategoryPause(string Category, bool Paused, string Reason, string ChangedBy, DateTimeOffset ChangedAt);

/// <summary>The shared reputation tables: hourly counts that every node adds to, and category pauses.</summary>
public sealed class ReputationStore
{
    private readonly SqlJournal _journal;

    internal ReputationStore(SqlJournal journal) => _journal = journal;

    private SqlDialect Dialect => _journal.Dialect;

    /// <summary>Adds this node's counts to the shared windows, all in one transaction.</summary>
    public Task AddAsync(IReadOnlyDictionary<(long WindowStart, string ConfigurationSet), WindowCounts> counts, CancellationToken cancellationToken) =>
        Dialect.RunAsync("Writing reputation counts", forWrite: true, async (connection, ct) =>
        {
            var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using var _ = transaction.ConfigureAwait(false);
            foreach (var ((window, set), value) in counts)
            {
                using var upsert = Command(connection, transaction, """
                    INSERT INTO reputation_windows (window_start, configuration_set, sent, bounces, complaints)
                    VALUES (@window, @set, @sent, @bounces, @complaints)
                    ON CONFLICT (window_start, configuration_set) DO UPDATE SET
                        sent = reputation_windows.sent + excluded.sent,
                        bounces = reputation_windows.bounces + excluded.bounces,
                        complaints = reputation_windows.complaints + excluded.complaints
                    """);
                Bind(upsert, "window", window);
                Bind(upsert, "set", set);
                Bind(upsert, "sent", value.Sent);
                Bind(upsert, "bounces", value.Bounces);
                Bind(upsert, "complaints", value.Complaints);
                await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Every window starting at or after <paramref name="fromWindowStart"/>, per configuration set.</summary>
    public Task<IReadOnlyDictionary<(long WindowStart, string ConfigurationSet), WindowCounts>> ReadAsync(long fromWindowStart, CancellationToken cancellationToken) =>
        Dialect.RunAsync("Reading reputation counts", forWrite: false, async (connection, ct) =>
        {
            using var select = Command(connection, null,
                "SELECT window_start, configuration_set, sent, bounces, complaints FROM reputation_windows WHERE window_start >= @from");
            Bind(select, "from", fromWindowStart);
            var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var _ = reader.ConfigureAwait(false);
            var windows = new Dictionary<(long, string), WindowCounts>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                windows[(reader.GetInt64(0), reader.GetString(1))] = new WindowCounts(reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
            }

            return (IReadOnlyDictionary<(long WindowStart, string ConfigurationSet), WindowCounts>)windows;
        }, cancellationToken);

    public Task<IReadOnlyList<CategoryPause>> PausesAsync(CancellationToken cancellationToken) =>
        Dialect.RunAsync("Reading category pauses", forWrite: false, async (connection, ct) =>
        {
            using var select = Command(connection, null, "SELECT category, paused, reason, changed_by, changed_at FROM category_pauses");
            var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var _ = reader.ConfigureAwait(false);
            var pauses = new List<CategoryPause>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                pauses.Add(new CategoryPause(reader.GetString(0), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture) != 0,
                    reader.GetString(2), reader.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
            }

            return (IReadOnlyList<CategoryPause>)pauses;
        }, cancellationToken);

    /// <summary>
    /// Pauses or resumes a category. A pause only replaces a resumed (or absent) row, so two nodes deciding to pause at
    /// once keep the first reason; a resume always wins.
    /// </summary>
    public Task<bool> SetAsync(CategoryPause pause, CancellationToken cancellationToken) =>
        Dialect.RunAsync("Changing a category pause", forWrite: true, async (connection, ct) =>
        {
            using var upsert = Command(connection, null, pause.Paused
                ? """
                  INSERT INTO category_pauses (category, paused, reason, changed_by, changed_at) VALUES (@category, 1, @reason, @by, @at)
                  ON CONFLICT (category) DO UPDATE SET paused = 1, reason = excluded.reason, changed_by = excluded.changed_by, changed_at = excluded.changed_at
                  WHERE category_pauses.paused = 0
                  """
                : """
                  INSERT INTO category_pauses (category, paused, reason, changed_by, changed_at) VALUES (@category, 0, @reason, @by, @at)
                  ON CONFLICT (category) DO UPDATE SET paused = 0, reason = excluded.reason, changed_by = excluded.changed_by, changed_at = excluded.changed_at
                  """);
            Bind(upsert, "category", pause.Category);
            Bind(upsert, "reason", pause.Reason);
            Bind(upsert, "by", pause.ChangedBy);
            Bind(upsert, "at", pause.ChangedAt.ToUnixTimeMilliseconds());
            return await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
}
