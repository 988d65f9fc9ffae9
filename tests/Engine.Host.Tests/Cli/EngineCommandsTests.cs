using System.Text.Json;
using Amazon.Runtime;
using Messaging.Engine;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Aws.Sqs;
using Messaging.Host.Cli;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Host.Tests.Cli;

/// <summary><c>engine init</c> and <c>engine send</c> against the real SQS peer.</summary>
public sealed class EngineCommandsTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private readonly string _prefix = $"c{Guid.NewGuid():N}"[..13];
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    private ServiceProvider Services()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = SmsFixtureServer.Region,
            ["Engine:Aws:SqsEndpoint"] = peers.SqsEndpoint.ToString(),
            ["Engine:Aws:SesEndpoint"] = peers.SesEndpoint.ToString(),
            ["Engine:Persistence:SqlitePath"] = Path.Combine(Path.GetTempPath(), $"messaging-cli-{_prefix}", "engine.db"),
            ["Engine:Ingest:RequestQueues:0:Name"] = $"{_prefix}-requests",
            ["Engine:Ingest:DeadLetterQueue"] = $"{_prefix}-dlq",
            ["Engine:Ingest:FeedbackQueue"] = $"{_prefix}-feedback",
            ["Engine:Ingest:FeedbackDeadLetterQueue"] = $"{_prefix}-feedback-dlq",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMessagingEngine(configuration);
        services.Replace(ServiceDescriptor.Singleton<IAwsCredentialSource>(
            new StaticAwsCredentialSource(new ImmutableCredentials(SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey, null))));
        return services.BuildServiceProvider();
    }

    private Task<int> RunAsync(params string[] args) =>
        EngineCommands.Build(Services, _output, _error).Parse(args).InvokeAsync();

    [Fact]
    public async Task Init_creates_the_request_feedback_and_dead_letter_queues_with_a_redrive_policy_and_can_run_again()
    {
        Assert.Equal(EngineCommands.Done, await RunAsync("init", "--json"));
        Assert.Equal(EngineCommands.Done, await RunAsync("init"));

        var first = _output.ToString();
        var urls = JsonSerializer.Deserialize<Dictionary<string, string>>(first[..(first.IndexOf('}') + 1)])!;
        Assert.Equal([$"{_prefix}-dlq", $"{_prefix}-feedback", $"{_prefix}-feedback-dlq", $"{_prefix}-requests"], urls.Keys.Order());
        await using var services = Services();
        var sqs = services.GetRequiredService<SqsClient>();
        var requests = (await sqs.GetQueueAttributesAsync(urls[$"{_prefix}-requests"], ["RedrivePolicy"], default)).Value;
        Assert.Contains($"{_prefix}-dlq", requests["RedrivePolicy"]);
        var dlq = (await sqs.GetQueueAttributesAsync(urls[$"{_prefix}-dlq"], ["MessageRetentionPeriod"], default)).Value;
        Assert.Equal("1209600", dlq["MessageRetentionPeriod"]);
        Assert.Contains("QUEUE", _output.ToString());
    }

    [Fact]
    public async Task Send_queues_a_valid_request_built_from_options()
    {
        await RunAsync("init");

        var code = await RunAsync("send", "--to", "Ana@Example.com", "--subject", "Hi", "--text", "Hello", "--message-id", "cli-1", "--json");

        Assert.Equal(EngineCommands.Done, code);
        await using var services = Services();
        var sqs = services.GetRequiredService<SqsClient>();
        var url = (await sqs.GetQueueUrlAsync($"{_prefix}-requests", default)).Value;
        var message = Assert.Single((await sqs.ReceiveMessagesAsync(url, 10, TimeSpan.FromSeconds(1), null, default)).Value);
        using var body = JsonDocument.Parse(message.Body);
        Assert.Equal("cli-1", body.RootElement.GetProperty("messageId").GetString());
        Assert.Equal("Ana@Example.com", body.RootElement.GetProperty("to").GetString());
        Assert.Equal("Hello", body.RootElement.GetProperty("content").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Send_refuses_an_invalid_request_with_exit_code_2_and_says_why()
    {
        Assert.Equal(EngineCommands.BadInput, await RunAsync("send", "--to", "not an address", "--subject", "Hi", "--text", "Hello"));
        Assert.Contains("$.to", _error.ToString());

        Assert.Equal(EngineCommands.BadInput, await RunAsync("send", "--file", "/nonexistent/request.json"));
        Assert.Contains("does not exist", _error.ToString());
    }

    [Fact]
    public async Task Send_to_a_queue_that_does_not_exist_fails_with_exit_code_1_and_points_to_init()
    {
        Assert.Equal(EngineCommands.Failed, await RunAsync("send", "--to", "a@example.com", "--subject", "Hi", "--text", "Hello"));

        Assert.Contains("run 'engine init' first", _error.ToString());
    }
}
