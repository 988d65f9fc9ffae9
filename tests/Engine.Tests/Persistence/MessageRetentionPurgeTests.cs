using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Persistence;

public sealed class MessageRetentionPurgeTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-purge-{Guid.NewGuid():N}");
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));
    private SqlJournal _journal = null!;

    public async Task InitializeAsync() =>
        _journal = await SqlJournal.OpenAsync(
            new SqliteDialect(Path.Combine(_directory, "engine.db"), "FULL"), _time, NullLogger.Instance, default);

    public async Task DisposeAsync()
    {
        await _journal.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Rows_accepted_before_the_retention_window_are_purged_and_newer_ones_kept()
    {
        var now = _time.GetUtcNow();
        MessageRecord Row(string id, DateTimeOffset accepted) =>
            new(id, "email:a@x.test", "email", "transactional", "delivered", null, null, accepted, accepted);
        await using (var writer = new ReadModelWriter(new SqliteDialect(Path.Combine(_directory, "engine.db"), "FULL"), _time))
        {
            await writer.WriteAsync("email:a@x.test", 1,
                Row("91-days-old", now.AddDays(-91)),
                Row("just-outside", new DateTimeOffset(2026, 8, 23, 23, 59, 59, TimeSpan.Zero)),
                Row("first-kept-day", new DateTimeOffset(2026, 8, 24, 0, 0, 0, TimeSpan.Zero)),
                Row("yesterday", now.AddDays(-1)));
        }

        var purge = new MessageRetentionPurge(_journal, Options.Create(new JournalOptions { MessageRetention = TimeSpan.FromDays(90) }),
            _time, NullLogger<MessageRetentionPurge>.Instance);

        Assert.Equal(2, await purge.PurgeOnceAsync(default));

        Assert.Null(await _journal.FindMessageAsync("91-days-old", default));
        Assert.Null(await _journal.FindMessageAsync("just-outside", default));
        Assert.NotNull(await _journal.FindMessageAsync("first-kept-day", default));
        Assert.NotNull(await _journal.FindMessageAsync("yesterday", default));
    }
}
