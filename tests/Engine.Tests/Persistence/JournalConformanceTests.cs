using System.Text;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>
/// What every journal must do, written once and run against each store (the subclasses say which). A store that
/// passes these may back the engine.
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

    private protected async Task<SqlJournal> OpenAsync(JournalOptions? options = null)
    {
        var journal = await SqlJournal.OpenAsync(
            NewDialect(), options ?? new JournalOptions(), Time, NullLogger.Instance, CancellationToken.None);
        _opened.Add(journal);
        return journal;
    }

    private static NewEvent Event(string text) => new("test.event.v1", Encoding.UTF8.GetBytes(text));

    private static string Text(PersistedEvent e) => Encoding.UTF8.GetString(e.Payload.Span);

    private MessageRecord Message(string id, string recipient, string status = "accepted", string? providerId = null,
        DateTimeOffset? acceptedAt = null) =>
        new(id, recipient, "email", "transactional", status, null, providerId,
            acceptedAt ?? Time.GetUtcNow(), Time.GetUtcNow());

    [Fact]
    public async Task Appended_events_read_back_in_order_with_their_sequence_numbers()
    {
        var journal = await OpenAsync();

        Assert.Equal(new AppendResult.Written(2), await journal.AppendAsync(new("email:a@x.test", 0, Event("one"), Event("two")), default));
        Assert.Equal(new AppendResult.Written(3), await journal.AppendAsync(new("email:a@x.test", 2, Event("three")), default));
        Assert.Equal(new AppendResult.Written(1), await journal.AppendAsync(new("email:b@x.test", 0, Event("other")), default));

        var all = await journal.ReadEventsAsync("email:a@x.test", 1, default);
        Assert.Equal(["one", "two", "three"], all.Select(Text));
        Assert.Equal([1L, 2L, 3L], all.Select(e => e.SequenceNr));
        Assert.All(all, e => Assert.Equal("test.event.v1", e.Type));
        Assert.All(all, e => Assert.Equal(Time.GetUtcNow().ToUnixTimeMilliseconds(), e.WrittenAt.ToUnixTimeMilliseconds()));
        Assert.Equal(["three"], (await journal.ReadEventsAsync("email:a@x.test", 3, default)).Select(Text));
        Assert.Equal(3, await journal.ReadHighestSequenceNrAsync("email:a@x.test", default));
    }

    [Fact]
    public async Task An_unknown_persistence_id_has_no_events_and_highest_sequence_number_zero()
    {
        var journal = await OpenAsync();

        Assert.Empty(await journal.ReadEventsAsync("email:nobody@x.test", 1, default));
        Assert.Equal(0, await journal.ReadHighestSequenceNrAsync("email:nobody@x.test", default));
        Assert.Null(await journal.LoadSnapshotAsync("email:nobody@x.test", default));
    }

    [Fact]
    public async Task An_append_after_a_stale_sequence_number_is_a_conflict_and_writes_nothing()
    {
        var journal = await OpenAsync();
        await journal.AppendAsync(new("email:a@x.test", 0, Event("one"), Event("two")), default);

        var stale = await journal.AppendAsync(
            new AppendRequest("email:a@x.test", 1, [Event("late")], [Message("m-late", "email:a@x.test")]), default);
        var ahead = await journal.AppendAsync(new("email:a@x.test", 5, Event("ahead")), default);

        Assert.Equal(new AppendResult.Conflict(1, 2), stale);
        Assert.Equal(new AppendResult.Conflict(5, 2), ahead);
        Assert.Equal(["one", "two"], (await journal.ReadEventsAsync("email:a@x.test", 1, default)).Select(Text));
        Assert.Null(await journal.FindMessageAsync("m-late", default));
    }

    [Fact]
    public async Task Of_concurrent_appends_with_the_same_sequence_number_from_two_writers_exactly_one_wins()
    {
        // Two journals over the same storage are two processes (or nodes) with their own connections and batches.
        var first = await OpenAsync();
        var second = await OpenAsync();

        var attempts = Enumerable.Range(0, 40)
            .Select(i => (i % 2 == 0 ? first : second)
                .AppendAsync(new AppendRequest("email:hot@x.test", 0, [Event($"writer {i}")], [Message($"m{i}", "email:hot@x.test")]), default)
                .AsTask())
            .ToList();
        var results = await Task.WhenAll(attempts);

        var winner = Assert.Single(results.Select((r, i) => (r, i)), x => x.r is AppendResult.Written);
        Assert.Equal(new AppendResult.Written(1), winner.r);
        Assert.All(results.Where(r => r is AppendResult.Conflict), r => Assert.Equal(new AppendResult.Conflict(0, 1), r));
        var stored = Assert.Single(await first.ReadEventsAsync("email:hot@x.test", 1, default));
        Assert.Equal($"writer {winner.i}", Text(stored));
        Assert.NotNull(await first.FindMessageAsync($"m{winner.i}", default));
        Assert.Null(await first.FindMessageAsync($"m{(winner.i + 1) % 40}", default));
    }

    [Fact]
    public async Task State_recovers_from_the_latest_snapshot_plus_the_events_after_it_after_a_restart()
    {
        var journal = await OpenAsync();
        for (var i = 1; i <= 10; i++)
        {
            await journal.AppendAsync(new("email:a@x.test", i - 1, Event($"e{i}")), default);
        }

        await journal.SaveSnapshotAsync(new("email:a@x.test", 4, "test.state.v1", "upto4"u8.ToArray(), Time.GetUtcNow()), default);
        await journal.SaveSnapshotAsync(new("email:a@x.test", 6, "test.state.v1", "upto6"u8.ToArray(), Time.GetUtcNow()), default);
        // An older snapshot arriving late must not replace a newer one.
        await journal.SaveSnapshotAsync(new("email:a@x.test", 5, "test.state.v1", "upto5"u8.ToArray(), Time.GetUtcNow()), default);

        var restarted = await OpenAsync();
        var snapshot = await restarted.LoadSnapshotAsync("email:a@x.test", default);
        Assert.NotNull(snapshot);
        Assert.Equal(6, snapshot.SequenceNr);
        Assert.Equal("upto6", Encoding.UTF8.GetString(snapshot.Payload.Span));
        var tail = await restarted.ReadEventsAsync("email:a@x.test", snapshot.SequenceNr + 1, default);
        Assert.Equal(["e7", "e8", "e9", "e10"], tail.Select(Text));
    }

    [Fact]
    public async Task Trimming_removes_events_before_the_snapshot_but_never_the_highest_so_stale_writers_still_conflict()
    {
        var journal = await OpenAsync();
        for (var i = 1; i <= 10; i++)
        {
            await journal.AppendAsync(new("email:a@x.test", i - 1, Event($"e{i}")), default);
        }

        Assert.Equal(7, await journal.TrimEventsAsync("email:a@x.test", 8, default));
        Assert.Equal(["e8", "e9", "e10"], (await journal.ReadEventsAsync("email:a@x.test", 1, default)).Select(Text));

        // Trimming past the end keeps the highest event: it carries the concurrency guard.
        Assert.Equal(2, await journal.TrimEventsAsync("email:a@x.test", 1_000, default));
        Assert.Equal(["e10"], (await journal.ReadEventsAsync("email:a@x.test", 1, default)).Select(Text));
        Assert.Equal(new AppendResult.Conflict(3, 10), await journal.AppendAsync(new("email:a@x.test", 3, Event("stale")), default));
        Assert.Equal(new AppendResult.Written(11), await journal.AppendAsync(new("email:a@x.test", 10, Event("e11")), default));
    }

    [Fact]
    public async Task A_snapshot_sent_with_an_append_is_stored_in_its_transaction_and_trims_the_events_before_it()
    {
        var journal = await OpenAsync();
        for (var i = 1; i <= 4; i++)
        {
            await journal.AppendAsync(new("email:a@x.test", i - 1, Event($"e{i}")), default);
        }

        var written = await journal.AppendAsync(
            new AppendRequest("email:a@x.test", 4, Event("e5")) { Snapshot = new NewEvent("test.state.v1", "upto5"u8.ToArray()) }, default);
        var stale = await journal.AppendAsync(
            new AppendRequest("email:a@x.test", 2, Event("stale")) { Snapshot = new NewEvent("test.state.v1", "wrong"u8.ToArray()) }, default);

        Assert.Equal(new AppendResult.Written(5), written);
        Assert.Equal(new AppendResult.Conflict(2, 5), stale);
        var snapshot = await journal.LoadSnapshotAsync("email:a@x.test", default);
        Assert.Equal((5L, "upto5"), (snapshot!.SequenceNr, Encoding.UTF8.GetString(snapshot.Payload.Span)));
        Assert.Equal(["e5"], (await journal.ReadEventsAsync("email:a@x.test", 1, default)).Select(Text));
    }

    [Fact]
    public async Task A_one_MiB_payload_round_trips_byte_for_byte()
    {
        var journal = await OpenAsync();
        var payload = new byte[1024 * 1024];
        new Random(20261122).NextBytes(payload);

        await journal.AppendAsync(new("email:big@x.test", 0, new NewEvent("test.big.v1", payload)), default);

        var stored = Assert.Single(await journal.ReadEventsAsync("email:big@x.test", 1, default));
        Assert.True(payload.AsSpan().SequenceEqual(stored.Payload.Span), "the 1 MiB payload came back changed");
    }

    [Fact]
    public async Task Ten_thousand_persistence_ids_append_at_once_and_are_grouped_into_far_fewer_transactions()
    {
        var journal = await OpenAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 10_000)
            .Select(i => journal.AppendAsync(new($"sms:+1555{i:D7}", 0, Event($"n{i}")), default).AsTask()));

        Assert.All(results, r => Assert.Equal(new AppendResult.Written(1), r));
        var (batches, appends) = journal.WriterCounts;
        Assert.Equal(10_000, appends);
        Assert.True(batches < appends / 2, $"expected group commit, got {batches} transactions for {appends} appends");
        foreach (var i in new[] { 0, 1, 4_999, 9_999 })
        {
            Assert.Equal($"n{i}", Text(Assert.Single(await journal.ReadEventsAsync($"sms:+1555{i:D7}", 1, default))));
        }
    }

    [Fact]
    public async Task An_append_whose_transaction_fails_leaves_nothing_behind_and_does_not_fail_its_batch_neighbours()
    {
        // A linger puts both appends in one batch; the bad one's message row breaks a constraint after its event
        // was inserted, so its transaction rolls back.
        var journal = await OpenAsync(new JournalOptions { BatchLinger = TimeSpan.FromMilliseconds(300), MaxBatchSize = 2 });

        var good = journal.AppendAsync(
            new AppendRequest("email:good@x.test", 0, [Event("good")], [Message("m-good", "email:good@x.test")]), default).AsTask();
        var bad = journal.AppendAsync(
            new AppendRequest("email:bad@x.test", 0, [Event("bad")], [Message("", "email:bad@x.test")]), default).AsTask();

        Assert.Equal(new AppendResult.Written(1), await good);
        var failure = await Assert.ThrowsAsync<JournalStorageException>(() => bad);
        Assert.Contains("email:bad@x.test", failure.Message);
        Assert.Empty(await journal.ReadEventsAsync("email:bad@x.test", 1, default));
        Assert.Equal(0, await journal.ReadHighestSequenceNrAsync("email:bad@x.test", default));
        Assert.NotNull(await journal.FindMessageAsync("m-good", default));

        // The journal goes on working after the failure.
        Assert.Equal(new AppendResult.Written(1), await journal.AppendAsync(new("email:bad@x.test", 0, Event("retried")), default));
    }

    [Fact]
    public async Task The_messages_table_is_written_with_the_events_and_found_by_id_provider_id_and_recipient()
    {
        var journal = await OpenAsync();
        var accepted = Time.GetUtcNow();
        await journal.AppendAsync(new AppendRequest("email:a@x.test", 0, [Event("accepted")],
            [Message("m1", "email:a@x.test"), Message("m2", "email:a@x.test", acceptedAt: accepted.AddMinutes(1))]), default);
        Time.Advance(TimeSpan.FromMinutes(5));
        await journal.AppendAsync(new AppendRequest("email:a@x.test", 1, [Event("sent")],
            [Message("m1", "email:a@x.test", status: "sent", providerId: "0100-ses-1", acceptedAt: accepted)]), default);
        // A later update without a provider id keeps the one already known.
        await journal.AppendAsync(new AppendRequest("email:a@x.test", 2, [Event("delivered")],
            [Message("m1", "email:a@x.test", status: "delivered", acceptedAt: accepted)]), default);

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
        await journal.AppendAsync(new AppendRequest("email:a@x.test", 0, [Event("x")], messages), default);

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
        var journal = await OpenAsync();
        await journal.AppendAsync(new("email:a@x.test", 0, Event("before")), default);

        var reopened = await Task.WhenAll(OpenAsync(), OpenAsync());

        Assert.Equal(["before"], (await reopened[1].ReadEventsAsync("email:a@x.test", 1, default)).Select(Text));
    }

    [Fact]
    public async Task Storage_that_cannot_be_reached_is_a_storage_exception_with_a_reason()
    {
        var failure = await Assert.ThrowsAsync<JournalStorageException>(() =>
            SqlJournal.OpenAsync(UnreachableDialect(), new JournalOptions(), Time, NullLogger.Instance, CancellationToken.None));

        Assert.Contains("Migrating the schema", failure.Message);
        Assert.NotNull(failure.InnerException);
    }

    [Fact]
    public async Task Suppressions_are_written_and_lifted_with_their_append_and_listed_by_channel_in_pages()
    {
        var journal = await OpenAsync();
        SuppressionRecord Row(string key, string channel) => new(key, channel, "complaint", Time.GetUtcNow(), "m1", null, "abuse");

        await journal.AppendAsync(new AppendRequest("email:a@x.test", 0, [Event("s")], []) { Suppression = Row("email:a@x.test", "email") }, default);
        await journal.AppendAsync(new AppendRequest("email:b@x.test", 0, [Event("s")], []) { Suppression = Row("email:b@x.test", "email") }, default);
        await journal.AppendAsync(new AppendRequest("sms:+15550100", 0, [Event("s")], []) { Suppression = Row("sms:+15550100", "sms") }, default);
        // A losing append writes no suppression.
        await journal.AppendAsync(new AppendRequest("email:c@x.test", 5, [Event("s")], []) { Suppression = Row("email:c@x.test", "email") }, default);

        Assert.Equal(["email:a@x.test", "email:b@x.test", "sms:+15550100"], (await journal.ListSuppressionsAsync(null, 10, null, default)).Select(r => r.RecipientKey));
        Assert.Equal(["email:b@x.test"], (await journal.ListSuppressionsAsync("email", 10, "email:a@x.test", default)).Select(r => r.RecipientKey));
        Assert.Equal(Row("sms:+15550100", "sms"), Assert.Single(await journal.ListSuppressionsAsync("sms", 10, null, default)));

        await journal.AppendAsync(new AppendRequest("email:a@x.test", 1, [Event("u")], []) { SuppressionLifted = true }, default);

        Assert.Equal(["email:b@x.test"], (await journal.ListSuppressionsAsync("email", 10, null, default)).Select(r => r.RecipientKey));
    }

    [Fact]
    public async Task The_writability_check_passes_on_a_reachable_store_changes_nothing_and_fails_on_an_unreachable_one()
    {
        var journal = await OpenAsync();
        await journal.AppendAsync(new AppendRequest("email:a@x.test", 0, Event("one")), default);

        await journal.CheckWritableAsync(default);

        Assert.Equal(1, await journal.ReadHighestSequenceNrAsync("email:a@x.test", default));
        var unreachable = new SqlJournal(UnreachableDialect(), new JournalOptions(), Time, NullLogger.Instance);
        _opened.Add(unreachable);
        var failure = await Assert.ThrowsAsync<JournalStorageException>(() => unreachable.CheckWritableAsync(default));
        Assert.StartsWith("Checking that the store takes writes failed", failure.Message);
    }

    [Fact]
    public async Task A_message_id_is_claimed_by_one_recipient_only_even_when_two_claim_it_at_once()
    {
        var journal = await OpenAsync();
        var other = await OpenAsync();
        AppendRequest Claim(string recipient) => new(recipient, 0, [Event("accepted")], [Message("shared-id", recipient)]) { Claims = ["shared-id"] };

        var results = await Task.WhenAll(journal.AppendAsync(Claim("email:a@x.test"), default).AsTask(), other.AppendAsync(Claim("email:b@x.test"), default).AsTask());

        Assert.Single(results, r => r is AppendResult.Written);
        var loser = results[0] is AppendResult.Conflict ? "email:a@x.test" : "email:b@x.test";
        var winner = loser == "email:a@x.test" ? "email:b@x.test" : "email:a@x.test";
        Assert.Equal(winner, (await journal.FindMessageAsync("shared-id", default))!.RecipientKey);
        Assert.Equal(0, await journal.ReadHighestSequenceNrAsync(loser, default));

        // In one batch too: the second claimer of an id loses, its neighbours are unaffected.
        var batch = await Task.WhenAll(
            journal.AppendAsync(new AppendRequest("email:c@x.test", 0, [Event("accepted")], [Message("batch-id", "email:c@x.test")]) { Claims = ["batch-id"] }, default).AsTask(),
            journal.AppendAsync(new AppendRequest("email:d@x.test", 0, [Event("accepted")], [Message("batch-id", "email:d@x.test")]) { Claims = ["batch-id"] }, default).AsTask(),
            journal.AppendAsync(new AppendRequest("email:e@x.test", 0, [Event("accepted")], [Message("own-id", "email:e@x.test")]) { Claims = ["own-id"] }, default).AsTask());
        Assert.Single(batch.Take(2), r => r is AppendResult.Written);
        Assert.IsType<AppendResult.Written>(batch[2]);
        Assert.Equal("email:e@x.test", (await journal.FindMessageAsync("own-id", default))!.RecipientKey);
    }
}
