using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.SQS;
using Akka.Actor;
using Akka.Hosting;
using Amazon.SQS.Model;
using Messaging.Engine;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Ingest;
using Messaging.Engine.Recipients.Entities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messaging.Testing;

/// <summary>
/// The whole engine in a Generic Host, as <c>engine run</c> starts it, against the local SQS and SES peers and a SQLite
/// file of its own. Its queues (created as <c>engine init</c> does) and recipients' domain are unique to the instance,
/// so tests sharing the peers do not see each other's mail.
/// </summary>
public sealed class EngineUnderTest : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _directory;

    private EngineUnderTest(IHost host, string directory, string prefix, string requestQueueUrl, string deadLetterQueueUrl)
    {
        _host = host;
        _directory = directory;
        Prefix = prefix;
        RequestQueueUrl = requestQueueUrl;
        DeadLetterQueueUrl = deadLetterQueueUrl;
    }

    /// <summary>Unique to this engine: its queue names start with it, and <see cref="Address"/> uses it as the domain.</summary>
    public string Prefix { get; }

    public string RequestQueueUrl { get; }

    public string DeadLetterQueueUrl { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>Asks a recipient's entity through the engine's shard region, as the engine's own callers do.</summary>
    public Task<T> AskRecipientAsync<T>(IRecipientMessage message) =>
        Services.GetRequiredService<IRequiredActor<RecipientEntity>>().ActorRef.Ask<T>(message, TimeSpan.FromSeconds(30));

    public IAmazonSQS Sqs => Services.GetRequiredService<IAmazonSQS>();

    /// <summary>A recipient address in this engine's own domain.</summary>
    public string Address(string local) => $"{local}@{Prefix}.test";

    /// <summary>
    /// Builds, initializes (queues) and starts an engine. <paramref name="settings"/> override the test defaults;
    /// <paramref name="services"/> may replace engine services (e.g. a part's clock) after the engine registered them.
    /// </summary>
    public static async Task<EngineUnderTest> StartAsync(
        LocalAwsPeers peers, IReadOnlyDictionary<string, string?>? settings = null, Func<DelegatingHandler>? providerHandler = null,
        string? directory = null, string? prefix = null, Action<IServiceCollection>? services = null)
    {
        prefix ??= $"t{Guid.NewGuid():N}"[..13];
        directory ??= Path.Combine(Path.GetTempPath(), $"messaging-engine-{prefix}");
        var configuration = new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = SmsFixtureServer.Region,
            ["Engine:Aws:SqsEndpoint"] = peers.SqsEndpoint.ToString(),
            ["Engine:Aws:SesEndpoint"] = peers.SesEndpoint.ToString(),
            ["Engine:Persistence:SqlitePath"] = Path.Combine(directory, "engine.db"),
            ["Engine:Ingest:RequestQueues:0:Name"] = $"{prefix}-requests",
            ["Engine:Ingest:RequestQueues:0:Pollers"] = "4",
            ["Engine:Ingest:DeadLetterQueue"] = $"{prefix}-dlq",
            ["Engine:Ingest:FeedbackQueue"] = $"{prefix}-feedback",
            ["Engine:Ingest:FeedbackDeadLetterQueue"] = $"{prefix}-feedback-dlq",
            // The SQS peer answers a receive only when it has 10 messages or the wait ends: keep waits short.
            ["Engine:Ingest:WaitTime"] = "00:00:01",
            ["Engine:Ingest:VisibilityTimeout"] = "00:00:30",
            ["Engine:Sending:DefaultEmailFrom"] = "shop@example.com",
            ["Engine:Sending:RetryBaseDelay"] = "00:00:01",
            ["Engine:Sending:MaxRetryDelay"] = "00:00:02",
            ["Engine:Throttling:EmailMaxSendRate"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        // As the host composes it: the actor system first, so the engine's own services stop before it does.
        builder.Services.AddEngineActorSystem(builder.Configuration);
        builder.Services.AddMessagingEngine(builder.Configuration);
        builder.Services.Replace(ServiceDescriptor.Singleton<IAwsCredentialSource>(
            new StaticAwsCredentialSource(new ImmutableCredentials(SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey, null))));
        if (providerHandler is not null)
        {
            builder.Services.AddHttpClient(AwsJsonTransport.HttpClientName).AddHttpMessageHandler(providerHandler);
        }

        services?.Invoke(builder.Services);
        var host = builder.Build();
        var queues = host.Services.GetRequiredService<QueueDirectory>();
        var created = await queues.CreateAllAsync(CancellationToken.None);
        if (!created.IsSuccess)
        {
            throw new InvalidOperationException($"Creating the test queues failed: {created.Error}");
        }

        await host.StartAsync();
        return new EngineUnderTest(host, directory, prefix,
            (await queues.UrlOfAsync(configuration["Engine:Ingest:RequestQueues:0:Name"]!, default)).Value,
            (await queues.UrlOfAsync(queues.DeadLetterQueueFor(configuration["Engine:Ingest:RequestQueues:0:Name"]!), default)).Value);
    }

    /// <summary>Puts request bodies on the request queue, ten to a call.</summary>
    public async Task EnqueueAsync(IEnumerable<string> bodies)
    {
        var n = 0;
        foreach (var chunk in bodies.Chunk(SqsMessageViews.MaxBatchSize))
        {
            var result = await Sqs.SendMessageBatchAsync(RequestQueueUrl,
                chunk.Select(body => new SendMessageBatchRequestEntry($"m{n++}", body)).ToList());
            if (result.Failed is { Count: > 0 } failed)
            {
                throw new InvalidOperationException($"Enqueueing failed: {failed[0].Code} {failed[0].Message}");
            }
        }
    }

    /// <summary>A valid email request to <paramref name="to"/>.</summary>
    public static string EmailRequest(string messageId, string to, string subject = "Hello") =>
        $$$"""{"schema":"messaging.request.v1","messageId":"{{{messageId}}}","channel":"email","to":"{{{to}}}","content":{"subject":"{{{subject}}}","text":"Hi there"}}""";

    /// <summary>Emails the SES peer stored for this engine's recipients.</summary>
    public async Task<IReadOnlyList<System.Text.Json.JsonElement>> SentEmailsAsync(LocalAwsPeers peers) =>
        (await peers.StoredEmailsAsync())
            .Where(e => e.GetProperty("destination").GetProperty("to")[0].GetString()!.EndsWith($"@{Prefix}.test", StringComparison.Ordinal))
            .ToList();

    /// <summary>Receives (and deletes) everything on the dead-letter queue.</summary>
    public Task<IReadOnlyList<Message>> TakeDeadLettersAsync() => TakeAllAsync(DeadLetterQueueUrl);

    /// <summary>The queue feedback (SES/SMS events) arrives on.</summary>
    public async Task<string> FeedbackQueueUrlAsync() => (await Sqs.GetQueueUrlAsync($"{Prefix}-feedback")).QueueUrl;

    /// <summary>Receives (and deletes) everything on the feedback dead-letter queue.</summary>
    public async Task<IReadOnlyList<Message>> TakeFeedbackDeadLettersAsync() =>
        await TakeAllAsync((await Sqs.GetQueueUrlAsync($"{Prefix}-feedback-dlq")).QueueUrl);

    /// <summary>Puts provider events on the feedback queue, as SNS (or raw delivery) would.</summary>
    public async Task PublishFeedbackAsync(params string[] bodies)
    {
        var url = await FeedbackQueueUrlAsync();
        var n = 0;
        foreach (var chunk in bodies.Chunk(SqsMessageViews.MaxBatchSize))
        {
            var result = await Sqs.SendMessageBatchAsync(url, chunk.Select(body => new SendMessageBatchRequestEntry($"f{n++}", body)).ToList());
            if (result.Failed is { Count: > 0 } failed)
            {
                throw new InvalidOperationException($"Publishing feedback failed: {failed[0].Code} {failed[0].Message}");
            }
        }
    }

    /// <summary>Receives (and deletes) everything on a queue.</summary>
    public async Task<IReadOnlyList<Message>> TakeAllAsync(string queueUrl)
    {
        var all = new ConcurrentDictionary<string, Message>();
        while (true)
        {
            var batch = (await Sqs.ReceiveMessageAsync(SqsMessageViews.ReceiveAll(queueUrl, 10, TimeSpan.Zero, TimeSpan.FromMinutes(5)))).Messages ?? [];
            if (batch.Count == 0)
            {
                return all.Values.ToList();
            }

            foreach (var message in batch)
            {
                all[message.MessageId] = message;
            }

            await Sqs.DeleteMessageBatchAsync(queueUrl, batch.Select(m => new DeleteMessageBatchRequestEntry(m.MessageId, m.ReceiptHandle)).DistinctBy(r => r.Id).ToList());
        }
    }

    /// <summary>Messages visible or in flight on a queue, as SQS counts them.</summary>
    public async Task<int> QueueDepthAsync(string queueUrl)
    {
        var attributes = (await Sqs.GetQueueAttributesAsync(queueUrl,
            ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"])).Attributes;
        return attributes.Values.Sum(int.Parse);
    }

    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
