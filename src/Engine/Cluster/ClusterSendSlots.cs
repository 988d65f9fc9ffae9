using System.Globalization;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using static Messaging.Engine.Persistence.Sql.SqlCommands;

namespace Messaging.Engine.Cluster;

/// <summary>
/// Send slots shared through the database, for a rate too small to split: 1 SMS a second over three nodes cannot be
/// a third each, as each node's own 1-second window still holds one call, and three unsynchronised nodes could send
/// all three in the same second. Each such send takes the next slot of its throttle in one atomic update — slots are
/// spaced a whole interval apart on the database's clock — and waits for it.
/// </summary>
public sealed class ClusterSendSlots
{
    // Slots are spaced a little more than the rate allows, for what happens between the slot and the wire (the reply
    // from the database, the connection pool). 20 ms costs 2 % of a rate that is small anyway.
    private static readonly TimeSpan Guard = TimeSpan.FromMilliseconds(20);

    // A send whose answer came back or whose timer woke this much after its slot may have lost its place: the next
    // slot's holder could be on time. It takes another slot instead of sending late, a few times at most.
    private const int Attempts = 3;

    private readonly Lazy<SqlJournal> _database;
    private readonly TimeProvider _time;
    private readonly Lazy<string> _takeSql;

    /// <param name="database">Resolved at the first slot: a single node never needs one.</param>
    internal ClusterSendSlots(Func<SqlJournal> database, TimeProvider timeProvider)
    {
        _database = new Lazy<SqlJournal>(database);
        _time = timeProvider;
        _takeSql = new Lazy<string>(() => TakeSql(_database.Value.Dialect.NowMicroseconds));
    }

    private SqlJournal Journal => _database.Value;

    private static string TakeSql(string now) =>
        // The clock is read after the row lock is held (in SET), so a node that queued behind another still spaces
        // its slot from the other's; the slot is returned as a wait from now, so no node's own clock is used.
        $"""
            INSERT INTO send_slots (throttle, next_at) VALUES (@throttle, {now} + @interval)
            ON CONFLICT (throttle) DO UPDATE SET next_at =
                CASE WHEN send_slots.next_at > {now} THEN send_slots.next_at ELSE {now} END + @interval
            RETURNING next_at - @interval - {now}
            """;

    /// <summary>The time between two slots for an account rate: a whole second ÷ the calls a second may hold.</summary>
    public static TimeSpan IntervalFor(double accountRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(accountRate);
        var callsPerSecond = accountRate >= 1 ? Math.Floor(accountRate) : accountRate;
        return TimeSpan.FromSeconds(1 / callsPerSecond) + Guard;
    }

    /// <summary>
    /// Takes the next slot of <paramref name="throttle"/> and waits for it; returns false when every slot taken was
    /// missed (the database or this machine answered too slowly to send on time), so the caller must not send now.
    /// </summary>
    /// <exception cref="JournalStorageException">The database could not be reached: no slot was taken.</exception>
    public async Task<bool> WaitForSlotAsync(string throttle, double accountRate, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var (wait, asked) = await TakeSlotAsync(throttle, accountRate, cancellationToken).ConfigureAwait(false);
            // The slot began between asking and the answer plus the wait: waiting from the answer is never early.
            if (wait > TimeSpan.Zero)
            {
                await _time.WaitRoundedUpAsync(wait, cancellationToken).ConfigureAwait(false);
            }

            // ...and at most this late: the next slot's holder may be on time, so a later send could crowd it.
            if (_time.GetElapsedTime(asked) - wait <= Guard)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Takes the next slot of <paramref name="throttle"/> and returns how long from now it begins.</summary>
    /// <exception cref="JournalStorageException">The database could not be reached: no slot was taken.</exception>
    public async Task<TimeSpan> TakeAsync(string throttle, double accountRate, CancellationToken cancellationToken) =>
        (await TakeSlotAsync(throttle, accountRate, cancellationToken).ConfigureAwait(false)).Wait;

    /// <summary>The wait for the slot, and this node's timestamp just before the database read its clock.</summary>
    private Task<(TimeSpan Wait, long Asked)> TakeSlotAsync(string throttle, double accountRate, CancellationToken cancellationToken)
    {
        var interval = (long)(IntervalFor(accountRate).Ticks / TimeSpan.TicksPerMicrosecond);
        return Journal.Dialect.RunAsync("Taking a cluster send slot", forWrite: true, async (connection, ct) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            if (Journal.Dialect.SkipCommitFlush is { } skipFlush)
            {
                // A slot lost in a database crash costs at most one early send; waiting for the disk costs every send
                // its place.
                using var relax = Command(connection, transaction, skipFlush);
                await relax.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            using var take = Command(connection, transaction, _takeSql.Value);
            Bind(take, "throttle", throttle);
            Bind(take, "interval", interval);
            var asked = _time.GetTimestamp();
            var wait = Convert.ToInt64(await take.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return (TimeSpan.FromMicroseconds(Math.Max(0, wait)), asked);
        }, cancellationToken);
    }
}
