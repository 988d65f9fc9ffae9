using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>
/// What the engine's database must do beside the journal plugin (its own suite: <c>PluginConformanceTests</c>): the
/// schema, and the read tables the plugin writes in the events' transactions, found and listed as operators and feedback
/// ask. Written once and run against each store (the subclasses say which).
/// </summary>
public abstract class JournalConformanceTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _opened = [];

    protected ManualTimeProvider Time { get; } = new();

    /// <summary>Prepares empty storage for one test (a file, a database).</summary>
    protected abstract Task CreateStorageAsync();

    /// <summary>A new dialect over this test's storage: a second one behaves like a second process or node.</summary>
    private protected abstract SqlDialect NewDialect();

    /// <summary>A dialect over storage that cannot be reached.</summary>
    private protected abstract SqlDialect UnreachableDialect();

    public Task InitializeAsync() => CreateStorageAsync();

    public async Task DisposeAsync()
    {
        foreach (var journal in _opened)
        {
            await journal.DisposeAsync();
        }
    }

    private protected async Task<SqlJournal> OpenAsync()
    {
        var journal = await SqlJournal.OpenAsync(NewDialect(), Time, NullLogger.Instance, CancellationToken.None);
        _opened.Add(journal);
        return journal;
    }

    /// <summary>Writes through the plugin's store, as an entity's persist does; open the journal first (it migrates).</summary>
    private ReadModelWriter Writer()
    {
        var writer = new ReadModelWriter(NewDialect(), Time);
        _opened.Add(writer);
        return writer;
    }

    private MessageRecord Message(string id, string recipient, string status = "accepted", string? providerId = null,
        DateTimeOffset? acceptedAt = null) =>
        new(id, recipient, "email", "transactional", status, null, providerId,
            acceptedAt ?? Time.GetUtcNow(), Time.GetUtcNow());

    [Fact]
    public async Task A_one_MiB_event_written_through_the_plugin_reads_back_byte_for_byte_for_a_message_history()
    {
        var journal = await OpenAsync();
        var payload = new byte[1024 * 1024];
        new Random(20261122).NextBytes(payload);

        await Writer().WriteAsync("email:big@x.test", 1, new ReadModelRows("email:big@x.test", [], []), payload);

        var stored = Assert.Single(await journal.ReadEntityEventsAsync("email:big@x.test", 1, default));
        Assert.True(payload.AsSpan().SequenceEqual(stored.Payload.Span), "the 1 MiB payload came back changed");
    }

    [Fact]
    public async Task The_messages_table_is_written_with_the_events_and_found_by_id_provider_id_and_recipient()
    {
        var journal = await OpenAsync();
        var writer = Writer();
        var accepted = Time.GetUtcNow();
        await writer.WriteAsync("email:a@x.test", 1, Message("m1", "email:a@x.test"), Message("m2", "email:a@x.test", acceptedAt: accepted.AddMinutes(1)));
        Time.Advance(TimeSpan.FromMinutes(5));
        await writer.WriteAsync("email:a@x.test", 2, Message("m1", "email:a@x.test", status: "sent", providerId: "0100-ses-1", acceptedAt: accepted));
        // A later update without a provider id keeps the one already known.
        await writer.WriteAsync("email:a@x.test", 3, Message("m1", "email:a@x.test", status: "delivered", acceptedAt: accepted));

        var m1 = await journal.FindMessageAsync("m1", default);
        Assert.NotNull(m1);
        Assert.Equal(("delivered", "0100-ses-1"), (m1.Status, m1.ProviderMessageId));
        Assert.Equal(accepted.ToUnixTimeMilliseconds(), m1.AcceptedAt.ToUnixTimeMilliseconds());
        Assert.Equal(Time.GetUtcNow().ToUnixTimeMilliseconds(), m1.UpdatedAt.ToUnixTimeMilliseconds());
        Assert.Equal("m1", (await journal.FindMessageByProviderIdAsync("0100-ses-1", default))?.MessageId);
        Assert.Null(await journal.FindMessageByProviderIdAsync("0100-unknown", default));

        var byRecipient = await journal.FindMessagesByRecipientAsync("email:a@x.test", accepted, accepted.AddHours(1), 10, default);
        Assert.Equal(["m2", "m1"], byRecipient.Select(m => m.MessageId));
        Assert.Equal(["m2"], (await journal.FindMessagesByRecipientAsync("email:a@x.test", accepted, accepted.AddHours(1), 1, default)).Select(m => m.MessageId));
        Assert.Empty(await journal.FindMessagesByRecipientAsync("email:a@x.test", accepted.AddHours(1), accepted.AddHours(2), 10, default));
    }

    [Fact]
    public async Task Purging_removes_only_the_days_before_the_first_kept_day()
    {
        var journal = await OpenAsync();
        var day1 = new DateTimeOffset(2026, 8, 1, 23, 59, 0, TimeSpan.Zero);
        var day2 = day1.AddMinutes(2);
        var messages = new[] { Message("old", "email:a@x.test", acceptedAt: day1), Message("kept1", "email:a@x.test", acceptedAt: day2), Message("kept2", "email:b@x.test", acceptedAt: day2) };
        await Writer().WriteAsync("email:a@x.test", 1, messages);

        Assert.Equal(1, await journal.CountMessagesOnDayAsync(new DateOnly(2026, 8, 1), default));
        Assert.Equal(2, await journal.CountMessagesOnDayAsync(new DateOnly(2026, 8, 2), default));
        Assert.Equal(1, await journal.PurgeMessagesBeforeAsync(new DateOnly(2026, 8, 2), default));
        Assert.Null(await journal.FindMessageAsync("old", default));
        Assert.NotNull(await journal.FindMessageAsync("kept1", default));
        Assert.Equal(0, await journal.PurgeMessagesBeforeAsync(new DateOnly(2026, 8, 2), default));
    }

    [Fact]
    public async Task Opening_again_finds_the_schema_migrated_and_keeps_the_data()
    {
        await OpenAsync();
        await Writer().WriteAsync("email:a@x.test", 1, Message("before", "email:a@x.test"));

        var reopened = await Task.WhenAll(OpenAsync(), OpenAsync());

        Assert.Equal("email:a@x.test", (await reopened[1].FindMessageAsync("before", default))?.RecipientKey);
        Assert.Equal([1L], (await reopened[1].ReadEntityEventsAsync("email:a@x.test", 1, default)).Select(e => e.SequenceNr));
    }

    [Fact]
    public async Task Storage_that_cannot_be_reached_is_a_storage_exception_with_a_reason()
    {
        var failure = await Assert.ThrowsAsync<JournalStorageException>(() =>
            SqlJournal.OpenAsync(UnreachableDialect(), Time, NullLogger.Instance, CancellationToken.None));

        Assert.Contains("Migrating the schema", failure.Message);
        Assert.NotNull(failure.InnerException);
    }

    [Fact]
    public async Task Suppressions_are_written_and_lifted_with_their_event_and_listed_by_channel_in_pages()
    {
        var journal = await OpenAsync();
        var writer = Writer();
        SuppressionRecord Row(string key, string channel) => new(key, channel, "complaint", Time.GetUtcNow(), "m1", null, "abuse");
        ReadModelRows Suppressing(string key, string channel) => new(key, [], []) { Suppression = Row(key, channel) };

        await writer.WriteAsync("email:a@x.test", 1, Suppressing("email:a@x.test", "email"));
        await writer.WriteAsync("email:b@x.test", 1, Suppressing("email:b@x.test", "email"));
        await writer.WriteAsync("sms:+15550100", 1, Suppressing("sms:+15550100", "sms"));
        // A write whose sequence number is taken fails, and writes no suppression.
        await writer.WriteAsync("email:c@x.test", 1, Message("c1", "email:c@x.test"));
        await Assert.ThrowsAsync<JournalStorageException>(() => writer.WriteAsync("email:c@x.test", 1, Suppressing("email:c@x.test", "email")));

        Assert.Equal(["email:a@x.test", "email:b@x.test", "sms:+15550100"], (await journal.ListSuppressionsAsync(null, 10, null, default)).Select(r => r.RecipientKey));
        Assert.Equal(["email:b@x.test"], (await journal.ListSuppressionsAsync("email", 10, "email:a@x.test", default)).Select(r => r.RecipientKey));
        Assert.Equal(Row("sms:+15550100", "sms"), Assert.Single(await journal.ListSuppressionsAsync("sms", 10, null, default)));

        await writer.WriteAsync("email:a@x.test", 2, new ReadModelRows("email:a@x.test", [], []) { SuppressionLifted = true });

        Assert.Equal(["email:b@x.test"], (await journal.ListSuppressionsAsync("email", 10, null, default)).Select(r => r.RecipientKey));
    }

    [Fact]
    public async Task The_writability_check_passes_on_a_reachable_store_changes_nothing_and_fails_on_an_unreachable_one()
    {
        var journal = await OpenAsync();
        await Writer().WriteAsync("email:a@x.test", 1, Message("one", "email:a@x.test"));

        await journal.CheckWritableAsync(default);

        Assert.Equal([1L], (await journal.ReadEntityEventsAsync("email:a@x.test", 1, default)).Select(e => e.SequenceNr));
        Assert.Equal(["one"], (await journal.FindMessagesByRecipientAsync("email:a@x.test", DateTimeOffset.MinValue, DateTimeOffset.MaxValue, 10, default)).Select(m => m.MessageId));
        var unreachable = new SqlJournal(UnreachableDialect(), Time, NullLogger.Instance);
        _opened.Add(unreachable);
        var failure = await Assert.ThrowsAsync<JournalStorageException>(() => unreachable.CheckWritableAsync(default));
        Assert.StartsWith("Checking that the store takes writes failed", failure.Message);
    }
}
