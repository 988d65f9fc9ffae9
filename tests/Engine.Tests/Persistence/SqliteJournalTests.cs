using System.Text;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>The database conformance suite on SQLite: a database file on disk, in WAL mode, one per test.</summary>
public sealed class SqliteJournalTests : JournalConformanceTests, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-sqlite-{Guid.NewGuid():N}");

    protected override Task CreateStorageAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    private protected override SqlDialect NewDialect() => new SqliteDialect(Path.Combine(_directory, "engine.db"), "FULL");

    // A directory where the database file should be: SQLite cannot open it.
    private protected override SqlDialect UnreachableDialect() => new SqliteDialect(_directory, "FULL");

    [Fact]
    public async Task The_expiry_of_stored_dead_letter_bodies_deletes_by_an_index_on_stored_at()
    {
        var path = Path.Combine(_directory, "engine.db");
        await using (await SqlJournal.OpenAsync(new SqliteDialect(path, "FULL"), TimeProvider.System, NullLogger.Instance, default))
        {
        }

        // The expiry DELETE runs on every save: it must not scan the table.
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var plan = connection.CreateCommand();
        plan.CommandText = "EXPLAIN QUERY PLAN DELETE FROM dead_letter_bodies WHERE stored_at < 0";
        await using var reader = await plan.ExecuteReaderAsync();
        var steps = new List<string>();
        while (await reader.ReadAsync())
        {
            steps.Add(reader.GetString(3));
        }

        Assert.Contains(steps, step => step.Contains("dead_letter_bodies_stored_at", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Under_steady_reads_and_writes_the_write_ahead_log_is_started_over_instead_of_growing_without_end()
    {
        // A checkpoint pass every 100 ms instead of 10 s, so that a few seconds show what hours would.
        var path = Path.Combine(_directory, "engine.db");
        var dialect = new SqliteDialect(path, "NORMAL", checkpointInterval: TimeSpan.FromMilliseconds(100));
        await using var journal = await SqlJournal.OpenAsync(
            new SqliteDialect(path, "NORMAL"), TimeProvider.System, NullLogger.Instance, CancellationToken.None);
        // The plugin's store, whose group commit asks for the checkpoints.
        await using var writer = new ReadModelWriter(dialect, TimeProvider.System);

        var walBytes = new List<long>();
        var next = new long[100];
        var payload = Encoding.UTF8.GetBytes(new string('x', 1024));
        // Rounds until the WAL has been started over and stopped growing, or a deadline: a loaded machine stretches
        // the reads until they overlap without a gap, which is what the writer's bounded wait is for.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (walBytes.Count < 10 || (!(dialect.WalRestarts >= 1 && StoppedGrowing(walBytes)) && DateTime.UtcNow < deadline))
        {
            // Each round writes the same amount: 100 recipients, 10 events each, a 1 KiB payload.
            for (var step = 0; step < 10; step++)
            {
                // Reads and writes overlap all along, as the API's and feedback's reads do with the entities' writes.
                await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
                {
                    await journal.ReadEntityEventsAsync($"email:r{i}@x.test", 1, default);
                    await writer.WriteAsync($"email:r{i}@x.test", ++next[i], new ReadModelRows($"email:r{i}@x.test", [], []), payload);
                }));
            }

            walBytes.Add(new FileInfo(path + "-wal").Length);
        }

        var sizes = string.Join(", ", walBytes.Select(b => $"{b:N0}"));
        Assert.True(dialect.WalRestarts >= 1, $"the writer never started the WAL over; its size after each round: {sizes} bytes");
        // Started over, the WAL file is written again from its start: it stops growing once it holds what is written
        // between two restarts. Never started over, every round makes it longer.
        Assert.True(StoppedGrowing(walBytes), $"the WAL grew in every round: {sizes} bytes");
    }

    private static bool StoppedGrowing(List<long> walBytes) => Enumerable.Range(1, walBytes.Count - 1).Any(r => walBytes[r] <= walBytes[r - 1]);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
