using Akka.Configuration;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>The group commit's linger: writes that overlap wait for more to share their commit; a lone write does not.</summary>
public sealed class GroupCommitLingerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_lone_write_is_committed_without_waiting_for_the_linger()
    {
        var store = new RecordingStore(holdFirstBatch: false);
        // Fake time that does not move: a write that lingered would not be committed.
        var time = new FakeTimeProvider();
        await using var writer = store.Writer(TimeSpan.FromHours(1), time);
        try
        {
            var lone = new Write("lone");
            await writer.EnqueueAsync(lone, CancellationToken.None);

            await lone.Committed.WaitAsync(Deadline);
            Assert.Equal([["lone"]], store.Batches);
        }
        finally
        {
            // Whatever happened, the writer can stop.
            time.Advance(TimeSpan.FromHours(2));
        }
    }

    [Fact]
    public async Task Writes_that_overlap_a_commit_wait_the_linger_and_share_one_commit_with_those_that_come_meanwhile()
    {
        var store = new RecordingStore(holdFirstBatch: true);
        var time = new TimerWatchingTime(new FakeTimeProvider());
        await using var writer = store.Writer(TimeSpan.FromMilliseconds(5), time);

        try
        {
            var (second, third) = await TwoLingeringAsync(store, writer, time);

            // A write that comes meanwhile joins them.
            var late = new Write("late");
            await writer.EnqueueAsync(late, CancellationToken.None);
            Assert.False(second.Committed.IsCompleted);

            time.Fake.Advance(TimeSpan.FromMilliseconds(5));

            await Task.WhenAll(second.Committed, third.Committed, late.Committed).WaitAsync(Deadline);
            Assert.Equal([["first"], ["second", "third", "late"]], store.Batches);
        }
        finally
        {
            // Whatever happened, the writer can stop.
            store.Release();
            time.Fake.Advance(TimeSpan.FromHours(2));
        }
    }

    [Fact]
    public async Task Stopping_while_a_batch_lingers_writes_it_at_once()
    {
        var store = new RecordingStore(holdFirstBatch: true);
        // Fake time that does not move: only the stop can end the linger.
        var time = new TimerWatchingTime(new FakeTimeProvider());
        var writer = store.Writer(TimeSpan.FromHours(1), time);
        Task? stopping = null;
        try
        {
            var (second, third) = await TwoLingeringAsync(store, writer, time);

            stopping = writer.DisposeAsync().AsTask();
            await stopping.WaitAsync(Deadline);

            Assert.True(second.Committed.IsCompletedSuccessfully && third.Committed.IsCompletedSuccessfully);
            Assert.Equal([["first"], ["second", "third"]], store.Batches);
        }
        finally
        {
            // Whatever happened, the writer can stop.
            store.Release();
            time.Fake.Advance(TimeSpan.FromHours(2));
            await (stopping ?? writer.DisposeAsync().AsTask());
        }
    }

    /// <summary>
    /// A first batch holds the writer while two more writes queue behind it; once it is let go, the next batch finds the
    /// two waiting and lingers (its timer is created). Answers the two.
    /// </summary>
    private static async Task<(Write Second, Write Third)> TwoLingeringAsync(RecordingStore store, GroupCommitWriter<Write> writer, TimerWatchingTime time)
    {
        var first = new Write("first");
        await writer.EnqueueAsync(first, CancellationToken.None);
        await store.Writing.WaitAsync(Deadline);
        var (second, third) = (new Write("second"), new Write("third"));
        await writer.EnqueueAsync(second, CancellationToken.None);
        await writer.EnqueueAsync(third, CancellationToken.None);
        store.Release();
        await first.Committed.WaitAsync(Deadline);
        await time.TimerCreated.WaitAsync(Deadline);
        return (second, third);
    }

    [Fact]
    public async Task A_writer_stopped_twice_writes_what_was_queued_and_stops_once()
    {
        var store = new RecordingStore(holdFirstBatch: false);
        var writer = store.Writer(TimeSpan.FromMilliseconds(5), new FakeTimeProvider());
        var only = new Write("only");
        await writer.EnqueueAsync(only, CancellationToken.None);

        await writer.DisposeAsync();
        await writer.DisposeAsync();

        await only.Committed.WaitAsync(Deadline);
        Assert.Equal([["only"]], store.Batches);
    }

    [Theory]
    [InlineData("provider = sqlite\nbatch-linger = auto", JournalProvider.Sqlite, 5)]
    [InlineData("provider = postgres\npostgres-connection-string = \"Host=db\"\nbatch-linger = auto", JournalProvider.Postgres, 0)]
    [InlineData("provider = sqlite", JournalProvider.Sqlite, 5)]
    [InlineData("provider = postgres\npostgres-connection-string = \"Host=db\"\nbatch-linger = 2ms", JournalProvider.Postgres, 2)]
    [InlineData("provider = sqlite\nbatch-linger = 0s", JournalProvider.Sqlite, 0)]
    public void An_auto_linger_is_5_ms_on_SQLite_and_none_on_PostgreSQL_and_a_duration_applies_to_either(
        string hocon, JournalProvider provider, int milliseconds)
    {
        var settings = EventStoreSettings.From(ConfigurationFactory.ParseString(hocon));

        Assert.Equal((provider, TimeSpan.FromMilliseconds(milliseconds)), (settings.Writer.Provider, settings.Writer.BatchLinger));
    }

    [Fact]
    public void An_auto_linger_follows_the_database_the_host_chose_over_the_section()
    {
        var fromSection = EventStoreSettings.From(ConfigurationFactory.ParseString("provider = sqlite\nbatch-linger = auto"));
        var chosen = fromSection.WithDatabase(new JournalOptions { Provider = JournalProvider.Postgres, PostgresConnectionString = "Host=db" });

        Assert.Equal(TimeSpan.Zero, chosen.Writer.BatchLinger);
    }

    private sealed class Write(string name) : IBatchedWrite
    {
        private readonly TaskCompletionSource _committed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name { get; } = name;

        public Task Committed => _committed.Task;

        public bool IsCompleted => _committed.Task.IsCompleted;

        public void Commit() => _committed.TrySetResult();

        public void Fail(Exception exception) => _committed.TrySetException(exception);
    }

    /// <summary>Records each batch; when told to, the first one waits until <see cref="Release"/>.</summary>
    private sealed class RecordingStore(bool holdFirstBatch)
    {
        private readonly TaskCompletionSource _writing = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<List<string>> _batches = [];
        private bool _hold = holdFirstBatch;

        public Task Writing => _writing.Task;

        public List<List<string>> Batches
        {
            get
            {
                lock (_batches)
                {
                    return _batches.Select(b => b.ToList()).ToList();
                }
            }
        }

        public void Release() => _released.TrySetResult();

        public GroupCommitWriter<Write> Writer(TimeSpan linger, TimeProvider time) =>
            new(WriteAsync, new JournalOptions { BatchLinger = linger }, time);

        private async Task WriteAsync(IReadOnlyList<Write> batch, CancellationToken cancellationToken)
        {
            lock (_batches)
            {
                _batches.Add(batch.Select(w => w.Name).ToList());
            }

            if (_hold)
            {
                _hold = false;
                _writing.TrySetResult();
                await _released.Task.ConfigureAwait(false);
            }

            foreach (var write in batch)
            {
                write.Commit();
            }
        }
    }

    /// <summary>Fake time that says when a timer is created (the linger's), so a test knows the writer waits on it.</summary>
    private sealed class TimerWatchingTime(FakeTimeProvider fake) : TimeProvider
    {
        private readonly TaskCompletionSource _timerCreated = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FakeTimeProvider Fake { get; } = fake;

        public Task TimerCreated => _timerCreated.Task;

        public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

        public override long GetTimestamp() => Fake.GetTimestamp();

        public override long TimestampFrequency => Fake.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = Fake.CreateTimer(callback, state, dueTime, period);
            _timerCreated.TrySetResult();
            return timer;
        }
    }
}
