using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.Persistence;
using Messaging.Engine.Persistence.Sql;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Host.Tests.Ingest;

/// <summary>
/// The engine process killed hard (SIGKILL) after a send's intent is durable and the provider has taken the message,
/// but before the engine heard back or acked: after a restart the message is never sent a second time.
/// </summary>
public sealed class CrashRecoveryTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly string _prefix = $"k{Guid.NewGuid():N}"[..13];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-crash-{Guid.NewGuid():N}");
    private ServiceProvider _aws = null!;
    private HoldingProxy _proxy = null!;
    private string _requestQueueUrl = "";

    private IAmazonSQS Sqs => _aws.GetRequiredService<IAmazonSQS>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _aws = AwsTestServices.Create(sqs: peers.SqsEndpoint);
        _requestQueueUrl = (await Sqs.CreateQueueAsync($"{_prefix}-requests")).QueueUrl;
        await Sqs.CreateQueueAsync($"{_prefix}-dlq");
        await Sqs.CreateQueueAsync($"{_prefix}-feedback");
        _proxy = await HoldingProxy.StartAsync(peers.SesEndpoint);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _aws.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private EngineProcess StartEngine()
    {
        var environment = EngineProcess.PeerEnvironment(peers, _proxy.Endpoint, _prefix);
        environment["Engine__Persistence__SqlitePath"] = Path.Combine(_directory, "engine.db");
        environment["Engine__Ingest__RequestQueues__0__Name"] = $"{_prefix}-requests";
        environment["Engine__Throttling__EmailMaxSendRate"] = "0";
        // Nothing else runs: the restarted engine need not give the killed one's send long to finish.
        environment["Engine__Sending__InFlightGrace"] = "00:00:03";
        return EngineProcess.Start(typeof(Program).Assembly.Location, environment);
    }

    private async Task<int> EmailsToAsync(string address) =>
        (await peers.StoredEmailsAsync()).Count(e => e.GetProperty("destination").GetProperty("to")[0].GetString() == address);

    [Fact]
    public async Task Killed_after_the_provider_took_the_message_the_restarted_engine_records_it_unknown_and_never_sends_it_again()
    {
        var victim = $"victim@{_prefix}.test";
        _proxy.HoldResponse = (path, body) => path == "/v2/email/outbound-emails" && body.Contains(victim, StringComparison.Ordinal);
        await Sqs.SendMessageAsync(_requestQueueUrl, $$$"""{"schema":"messaging.request.v1","messageId":"crash-1","channel":"email","to":"{{{victim}}}","content":{"subject":"Once","text":"Only once"}}""");

        await using (var first = StartEngine())
        {
            // The provider has the message (intent durable before the call); the engine waits for its answer.
            await AwaitCondition.UntilAsync(() => Task.FromResult(_proxy.Held == 1), Deadline, "the send reaches the provider");
            Assert.Equal(1, await EmailsToAsync(victim));
            await first.KillHardAsync();
        }

        _proxy.HoldResponse = (_, _) => false;
        await using var second = StartEngine();
        var journal = await SqlJournal.OpenAsync(
            new Engine.Persistence.Sqlite.SqliteDialect(Path.Combine(_directory, "engine.db"), "FULL"),
            TimeProvider.System, NullLogger.Instance, default);
        await using var _ = journal;
        try
        {
            await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync("crash-1", default))?.Status == "unknown", Deadline,
                "the restarted engine settles the interrupted send");
            await AwaitCondition.UntilAsync(async () =>
            {
                var depth = (await Sqs.GetQueueAttributesAsync(_requestQueueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
                return depth.Values.All(v => v == "0");
            }, Deadline, "the request is acked");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nengine output:\n{second.Output}", e);
        }

        Assert.Equal(1, await EmailsToAsync(victim));
        var record = await journal.FindMessageAsync("crash-1", default);
        Assert.Contains("not sent again", record!.Reason);
    }
}
