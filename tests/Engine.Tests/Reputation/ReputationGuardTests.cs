using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Messaging.Engine.Reputation;
using Messaging.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Tests.Reputation;

/// <summary>The reputation guard over a real SQLite database, with synthetic hours of sends, bounces and complaints.</summary>
public sealed class ReputationGuardTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-reputation-{Guid.NewGuid():N}");
    private readonly List<SqlJournal> _journals = [];
    private readonly ManualTimeProvider _time = new(DateTimeOffset.Parse("2026-11-22T10:05:00Z"));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var journal in _journals)
        {
            await journal.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A guard and its counter on the shared database: a second call is a second node.</summary>
    private async Task<(ReputationGuard Guard, ReputationCounter Counter)> NodeAsync()
    {
        var journal = await SqlJournal.OpenAsync(new SqliteDialect(Path.Combine(_directory, "engine.db"), "NORMAL"), _time, NullLogger.Instance, default);
        _journals.Add(journal);
        var counter = new ReputationCounter(_time);
        return (new ReputationGuard(new ReputationStore(journal), counter, Options.Create(new ReputationOptions()), _time, NullLogger<ReputationGuard>.Instance), counter);
    }

    private static void Hour(ReputationCounter counter, string set, int sent, int bounces = 0, int complaints = 0)
    {
        for (var i = 0; i < sent; i++)
        {
            counter.CountSent(set);
        }

        for (var i = 0; i < bounces; i++)
        {
            counter.CountBounce(set);
        }

        for (var i = 0; i < complaints; i++)
        {
            counter.CountComplaint(set);
        }
    }

    [Fact]
    public async Task An_hour_with_six_percent_bounces_in_one_configuration_set_pauses_marketing_and_not_transactional()
    {
        var (guard, counter) = await NodeAsync();
        Hour(counter, "marketing-pool", sent: 1_000, bounces: 60);
        Hour(counter, "transactional-pool", sent: 4_000, bounces: 4);

        var status = await guard.EvaluateAsync(default);

        Assert.True(guard.IsPaused(Category.Marketing, out var reason));
        Assert.False(guard.IsPaused(Category.Transactional, out _));
        Assert.Equal("bounce rate 6.0% (60 of 1000) for configuration set 'marketing-pool' in the hour from 2026-11-22 10:00 UTC reached the pause level 5.0%", reason);
        // The account as a whole is at 1.3 %: the pause comes from the set, which is what SES would review first.
        Assert.Equal(new ReputationRate("the account", 5_000, 64, 0, 64 / 5_000.0, 0), status.Rates[0]);
    }

    [Fact]
    public async Task The_pause_the_warnings_and_the_rates_are_exported_as_gauges()
    {
        var (guard, counter) = await NodeAsync();
        Hour(counter, "bulk", sent: 1_000, bounces: 60, complaints: 1);
        await guard.EvaluateAsync(default);
        var seen = new Dictionary<string, double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == guard.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => seen[Key(instrument.Name, tags)] = value);
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => seen[Key(instrument.Name, tags)] = value);
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.Equal(1, seen["messaging.reputation.paused{category=marketing}"]);
        Assert.Equal(0, seen["messaging.reputation.warnings"]);
        Assert.Equal(0.06, seen["messaging.reputation.bounce_rate{scope=configuration set 'bulk'}"], 6);
        Assert.Equal(0.001, seen["messaging.reputation.complaint_rate{scope=the account}"], 6);

        static string Key(string name, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            tags.Length == 0 ? name : $"{name}{{{string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"))}}}";
    }

    [Fact]
    public async Task A_complaint_rate_of_a_fifth_of_a_percent_pauses_too()
    {
        var (guard, counter) = await NodeAsync();
        Hour(counter, "", sent: 2_000, complaints: 4);

        await guard.EvaluateAsync(default);

        Assert.True(guard.IsPaused(Category.Marketing, out var reason));
        Assert.StartsWith("complaint rate 0.20% (4 of 2000) for the account", reason);
    }

    [Fact]
    public async Task Two_hours_in_a_row_at_the_warning_rate_warn_without_pausing_and_one_hour_does_not_warn()
    {
        var (guard, counter) = await NodeAsync();
        Hour(counter, "", sent: 1_000, bounces: 35);
        var first = await guard.EvaluateAsync(default);

        _time.Advance(TimeSpan.FromHours(1));
        Hour(counter, "", sent: 1_000, bounces: 40);
        var second = await guard.EvaluateAsync(default);

        Assert.Empty(first.Warnings);
        Assert.Equal(["bounce rate of the account at or above 3.0% for two hours: 3.5%, then 4.0%"], second.Warnings);
        Assert.False(guard.IsPaused(Category.Marketing, out _));
    }

    [Fact]
    public async Task Rates_below_the_minimum_volume_do_not_count()
    {
        var (guard, counter) = await NodeAsync();
        Hour(counter, "", sent: 20, bounces: 10);

        var status = await guard.EvaluateAsync(default);

        Assert.False(guard.IsPaused(Category.Marketing, out _));
        Assert.Null(status.Rates[0].BounceRate);
    }

    [Fact]
    public async Task Counts_from_two_nodes_add_up_and_a_pause_by_one_holds_on_the_other()
    {
        var (first, firstCounter) = await NodeAsync();
        var (second, secondCounter) = await NodeAsync();
        // Neither node alone reaches the minimum volume; together they send 200 with 12 bounces (6 %).
        Hour(firstCounter, "", sent: 99, bounces: 6);
        Hour(secondCounter, "", sent: 101, bounces: 6);

        await first.EvaluateAsync(default);
        await second.EvaluateAsync(default);
        await first.EvaluateAsync(default);

        Assert.True(second.IsPaused(Category.Marketing, out _));
        Assert.True(first.IsPaused(Category.Marketing, out _));
        Assert.Equal(200, first.Status.Rates[0].Sent);
    }

    [Fact]
    public async Task An_operator_resume_holds_for_the_hour_that_caused_the_pause_and_a_new_bad_hour_pauses_again()
    {
        var (guard, counter) = await NodeAsync();
        Hour(counter, "", sent: 1_000, bounces: 60);
        await guard.EvaluateAsync(default);
        Assert.True(guard.IsPaused(Category.Marketing, out _));

        _time.Advance(TimeSpan.FromMinutes(10));
        await guard.ResumeAsync(Category.Marketing, "ops@example.com", "list cleaned", default);
        Hour(counter, "", sent: 10, bounces: 10);
        await guard.EvaluateAsync(default);
        Assert.False(guard.IsPaused(Category.Marketing, out _));
        Assert.Equal(("ops@example.com", "list cleaned"), (guard.Status.Pauses[0].ChangedBy, guard.Status.Pauses[0].Reason));

        _time.Advance(TimeSpan.FromHours(1));
        Hour(counter, "", sent: 500, bounces: 30);
        await guard.EvaluateAsync(default);
        Assert.True(guard.IsPaused(Category.Marketing, out var reason));
        Assert.Contains("in the hour from 2026-11-22 11:00 UTC", reason);
    }

    [Fact]
    public async Task Counts_that_could_not_be_written_are_kept_for_the_next_evaluation()
    {
        var (guard, counter) = await NodeAsync();
        Hour(counter, "", sent: 1_000, bounces: 60);
        var broken = new ReputationGuard(new ReputationStore(new SqlJournal(new SqliteDialect(_directory, "NORMAL"), _time, NullLogger.Instance)),
            counter, Options.Create(new ReputationOptions()), _time, NullLogger<ReputationGuard>.Instance);

        await Assert.ThrowsAsync<JournalStorageException>(() => broken.EvaluateAsync(default));
        await guard.EvaluateAsync(default);

        Assert.Equal(1_000, guard.Status.Rates[0].Sent);
        Assert.True(guard.IsPaused(Category.Marketing, out _));
    }
}
