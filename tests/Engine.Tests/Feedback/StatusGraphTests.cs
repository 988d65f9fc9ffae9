using Akka.Streams;
using Akka.Streams.TestKit;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Persistence.Sqlite;
using Messaging.Engine.Tests.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace Messaging.Engine.Tests.Feedback;

/// <summary>The status graph against the real local SQS peer and an outbox in SQLite on disk.</summary>
public sealed class StatusGraphTests : AkkaTestKit, IClassFixture<LocalAwsPeers>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    // Longer than the SQS client's timeout (the request timeout and the longest long poll: 10 s + 20 s here) and a
    // restart's backoff.
    private static readonly TimeSpan SlowCallDeadline = TimeSpan.FromSeconds(90);
    private readonly ServiceProvider _services;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-status-graph-{Guid.NewGuid():N}");
    private readonly ManualTimeProvider _time = new();
    private SqlJournal? _journal;
    private ReadModelWriter? _writer;

    public StatusGraphTests(LocalAwsPeers peers, ITestOutputHelper output) : base("akka.loglevel = INFO", "status-graph", output)
    {
        _services = AwsTestServices.Create(sqs: peers.SqsEndpoint);
    }

    private IAmazonSQS Sqs => _services.GetRequiredService<IAmazonSQS>();

    private StatusOutbox Outbox => new(_journal!);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _journal = await SqlJournal.OpenAsync(Dialect(), _time, NullLogger.Instance, default);
        _writer = new ReadModelWriter(Dialect(), _time);
    }

    [Fact]
    public async Task Events_are_published_ten_to_a_call_in_claim_order_and_leave_the_outbox_once_SQS_took_them()
    {
        await WriteChangesAsync(25);
        var (name, url) = await QueueAsync("order");
        var graph = new StatusGraph(Outbox, Sqs, name, url, _time, NullLogger.Instance);

        var published = graph.Create(CancellationToken.None).RunWith(this.SinkProbe<IReadOnlyList<OutboxEntry>>(), Sys.Materializer());
        published.Request(3);
        var calls = new[] { await published.ExpectNextAsync(Deadline), await published.ExpectNextAsync(Deadline), await published.ExpectNextAsync(Deadline) };

        Assert.Equal([10, 10, 5], calls.Select(c => c.Count));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"m{i}"), calls.SelectMany(c => c).Select(e => e.MessageId));
        Assert.Equal(0, await Outbox.CountAsync(default));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"m{i}").Order(), (await TakeAllAsync(url, 25)).Order());
        published.Cancel();
    }

    [Fact]
    public async Task Events_a_refused_call_claimed_stay_in_the_outbox_and_are_published_once_their_claim_expires()
    {
        await WriteChangesAsync(12);
        var name = $"status-graph-later-{Guid.NewGuid():N}"[..40];
        // Where the queue will be: beside another one the peer made (its URLs name the peer's account).
        var beside = (await QueueAsync("beside")).Url;
        var url = beside[..(beside.LastIndexOf('/') + 1)] + name;
        var graph = new StatusGraph(Outbox, Sqs, name, url, _time, NullLogger.Instance);
        var completion = graph.Run(Sys.Materializer(), CancellationToken.None);

        await Messaging.Testing.AwaitCondition.UntilAsync(() => Task.FromResult(graph.ClaimsLeftToExpire >= 1), Deadline, "the missing queue refuses a call");
        Assert.Equal(12, await Outbox.CountAsync(default));
        Assert.Equal(0, graph.Published);

        Assert.Equal(url, (await Sqs.CreateQueueAsync(name)).QueueUrl);
        var leftToExpire = graph.ClaimsLeftToExpire;
        _time.Advance(StatusGraph.ClaimFor + TimeSpan.FromSeconds(1));
        // Once, in CI, nothing was published for 30 s after the queue appeared: a call the peer never answers fails
        // only after the SQS client's timeout (30 s here), and its claim then has to expire as well. So the wait
        // outlasts that timeout, and the clock moves past the claim of whatever was left to its claim meanwhile (a
        // failed call, entries the queue refused, a failed delete).
        try
        {
            await Messaging.Testing.AwaitCondition.UntilAsync(async () =>
            {
                if (graph.ClaimsLeftToExpire > leftToExpire)
                {
                    leftToExpire = graph.ClaimsLeftToExpire;
                    _time.Advance(StatusGraph.ClaimFor + TimeSpan.FromSeconds(1));
                }

                return await Outbox.CountAsync(default) == 0;
            }, SlowCallDeadline, "published once the claims expired");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}: {graph.ClaimsLeftToExpire} times claims were left to expire, {graph.Published} events published", e);
        }

        // At least once: a call that timed out may still have been taken, so its events can come twice.
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"m{i}").Order(), (await TakeAllAsync(url, 12, distinct: true)).Order());
        Assert.Equal(12, graph.Published);
        graph.Claiming.Shutdown();
        await completion.WaitAsync(Deadline);
    }

    private async Task WriteChangesAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var pid = $"email:u{i}@x.test";
            await _writer!.WriteAsync(pid, 1, new ReadModelRows(pid, [], [new StatusChange($"m{i}", $$"""{"messageId":"m{{i}}"}""")]));
        }
    }

    private async Task<(string Name, string Url)> QueueAsync(string what)
    {
        var name = $"status-graph-{what}-{Guid.NewGuid():N}"[..40];
        return (name, (await Sqs.CreateQueueAsync(name)).QueueUrl);
    }

    /// <summary>The message ids of the events on the queue (each once if <paramref name="distinct"/>), once <paramref name="expected"/> of them arrived.</summary>
    private async Task<List<string>> TakeAllAsync(string url, int expected, bool distinct = false)
    {
        var bodies = new List<string>();
        await Messaging.Testing.AwaitCondition.UntilAsync(async () =>
        {
            var answer = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = 60 });
            bodies.AddRange((answer.Messages ?? []).Select(m => System.Text.Json.JsonDocument.Parse(m.Body).RootElement.GetProperty("messageId").GetString()!));
            if (distinct)
            {
                bodies = [.. bodies.Distinct()];
            }

            return bodies.Count >= expected;
        }, Deadline, $"{expected} events on the status queue");
        return bodies;
    }

    private SqliteDialect Dialect() => new(Path.Combine(_directory, "engine.db"), "NORMAL");

    public async Task DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        if (_journal is not null)
        {
            await _journal.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _services.Dispose();
        }

        base.Dispose(disposing);
    }
}
