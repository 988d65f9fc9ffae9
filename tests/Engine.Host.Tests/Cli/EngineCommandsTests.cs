using System.Text.Json;
using Amazon.Runtime;
using Messaging.Engine;
using Messaging.Engine.Aws.Signing;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
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
        EngineCommands.InvokeAsync(args, Services, _output, _error);

    [Fact]
    public async Task Init_creates_the_request_feedback_and_dead_letter_queues_with_a_redrive_policy_and_can_run_again()
    {
        Assert.Equal(EngineCommands.Done, await RunAsync("init", "--json"));
        Assert.Equal(EngineCommands.Done, await RunAsync("init"));

        var first = _output.ToString();
        var urls = JsonSerializer.Deserialize<Dictionary<string, string>>(first[..(first.IndexOf('}') + 1)])!;
        Assert.Equal([$"{_prefix}-dlq", $"{_prefix}-feedback", $"{_prefix}-feedback-dlq", $"{_prefix}-requests"], urls.Keys.Order());
        await using var services = Services();
        var sqs = services.GetRequiredService<IAmazonSQS>();
        var requests = (await sqs.GetQueueAttributesAsync(urls[$"{_prefix}-requests"], ["RedrivePolicy"])).Attributes;
        Assert.Contains($"{_prefix}-dlq", requests["RedrivePolicy"]);
        var dlq = (await sqs.GetQueueAttributesAsync(urls[$"{_prefix}-dlq"], ["MessageRetentionPeriod"])).Attributes;
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
        var sqs = services.GetRequiredService<IAmazonSQS>();
        var url = (await sqs.GetQueueUrlAsync($"{_prefix}-requests")).QueueUrl;
        var message = Assert.Single(((await sqs.ReceiveMessageAsync(SqsMessageViews.ReceiveAll(url, 10, TimeSpan.FromSeconds(1), null))).Messages ?? []));
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

    [Fact]
    public async Task Send_takes_data_from_a_pretty_printed_file_after_an_at_sign_or_inline()
    {
        await RunAsync("init");
        await RunAsync("templates", "push", RepositoryLayout.PathOf("config", "templates"));
        var file = Path.Combine(Path.GetTempPath(), $"messaging-cli-{_prefix}", "data.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "{\n  \"name\": \"Ana\"\n}\n");

        var fromFile = await RunAsync("send", "--to", "ana@example.com", "--template", "welcome", "--data", $"@{file}", "--message-id", "cli-file");
        var inline = await RunAsync("send", "--to", "bo@example.com", "--template", "welcome", "--data", """{"name":"Bo"}""", "--message-id", "cli-inline");

        Assert.Equal((EngineCommands.Done, EngineCommands.Done), (fromFile, inline));
        var bodies = await ReceiveAllAsync();
        Assert.Equal(["Ana", "Bo"], bodies.Select(b => b.RootElement.GetProperty("data").GetProperty("name").GetString()).Order());
        Assert.Contains("engine message show cli-file", _output.ToString());
    }

    [Fact]
    public async Task Send_refuses_an_unknown_template_or_missing_data_before_queueing_unless_told_not_to_check()
    {
        await RunAsync("init");
        await RunAsync("templates", "push", RepositoryLayout.PathOf("config", "templates"));

        var unknown = await RunAsync("send", "--to", "ana@example.com", "--template", "welcom", "--data", """{"name":"Ana"}""");
        var missing = await RunAsync("send", "--to", "ana@example.com", "--template", "welcome", "--data", """{"nick":"Ana"}""");
        var wrongChannel = await RunAsync("send", "--to", "ana@example.com", "--template", "login-code", "--data", """{"code":"1","minutes":5}""");
        var notChecked = await RunAsync("send", "--to", "ana@example.com", "--template", "welcom", "--no-check", "--message-id", "cli-unchecked");

        Assert.Equal((EngineCommands.BadInput, EngineCommands.BadInput, EngineCommands.BadInput, EngineCommands.Done), (unknown, missing, wrongChannel, notChecked));
        var errors = _error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, errors.Length);
        Assert.Contains("there is no template 'welcom'", errors[0]);
        Assert.Contains("'name'", errors[1]);
        Assert.Contains("is for sms, not email", errors[2]);
        Assert.Equal("cli-unchecked", Assert.Single(await ReceiveAllAsync()).RootElement.GetProperty("messageId").GetString());
    }

    private async Task<List<JsonDocument>> ReceiveAllAsync()
    {
        await using var services = Services();
        var sqs = services.GetRequiredService<IAmazonSQS>();
        var url = (await sqs.GetQueueUrlAsync($"{_prefix}-requests")).QueueUrl;
        return ((await sqs.ReceiveMessageAsync(SqsMessageViews.ReceiveAll(url, 10, TimeSpan.FromSeconds(1), null))).Messages ?? []).Select(m => JsonDocument.Parse(m.Body)).ToList();
    }
}
