using System.Net;
using System.Net.Sockets;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Startup;

/// <summary>A real engine process started the way an operator starts one, where starting goes wrong.</summary>
public sealed class EngineStartupTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _prefix = $"p{Guid.NewGuid():N}"[..13];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-startup-{Guid.NewGuid():N}");
    private ServiceProvider _aws = null!;
    private string _requestQueueUrl = "";

    private IAmazonSQS Sqs => _aws.GetRequiredService<IAmazonSQS>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _aws = AwsTestServices.Create(sqs: peers.SqsEndpoint);
        _requestQueueUrl = await EngineQueues.CreateAsync(Sqs, _prefix);
    }

    public async Task DisposeAsync()
    {
        await _aws.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private Dictionary<string, string> Environment()
    {
        var environment = EngineProcess.PeerEnvironment(peers, peers.SesEndpoint, _prefix);
        environment["Engine__Persistence__SqlitePath"] = Path.Combine(_directory, "engine.db");
        environment["Engine__Ingest__RequestQueues__0__Name"] = $"{_prefix}-requests";
        environment["Engine__Throttling__EmailMaxSendRate"] = "0";
        return environment;
    }

    [Fact]
    public async Task With_its_port_taken_the_engine_exits_1_with_one_clear_line_having_received_and_sent_nothing()
    {
        for (var i = 0; i < 20; i++)
        {
            await Sqs.SendMessageAsync(_requestQueueUrl, $$$"""{"schema":"messaging.request.v1","messageId":"busy-{{{i}}}","channel":"email","to":"r{{{i}}}@{{{_prefix}}}.test","content":{"subject":"Hi","text":"Hello"}}""");
        }

        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        await using var engine = EngineProcess.Start(typeof(Program).Assembly.Location, Environment(), $"http://127.0.0.1:{port}");
        var exitCode = await engine.ExitedAsync(Deadline);

        Assert.True(exitCode == 1, $"exit code {exitCode}:\n{engine.Output}");
        var line = Assert.Single(engine.Output.Split('\n'), l => l.StartsWith("engine: cannot start:", StringComparison.Ordinal));
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("address already in use", line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Unhandled exception", engine.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ObjectDisposedException", engine.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("BackgroundService failed", engine.Output, StringComparison.Ordinal);

        // All 20 are still waiting, none ever received (nothing in flight), and none was sent.
        var attributes = (await Sqs.GetQueueAttributesAsync(_requestQueueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        Assert.Equal(("20", "0"), (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]));
        Assert.DoesNotContain(await peers.StoredEmailsAsync(), e => e.GetRawText().Contains(_prefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_its_cluster_port_taken_the_engine_exits_1_with_one_clear_line_having_received_nothing()
    {
        await Sqs.SendMessageAsync(_requestQueueUrl, $$$"""{"schema":"messaging.request.v1","messageId":"busy","channel":"email","to":"r@{{{_prefix}}}.test","content":{"subject":"Hi","text":"Hello"}}""");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var environment = Environment();
        EngineProcess.JoinAkkaCluster(environment, port, []);

        await using var engine = EngineProcess.Start(typeof(Program).Assembly.Location, environment);
        var exitCode = await engine.ExitedAsync(Deadline);

        Assert.True(exitCode == 1, $"exit code {exitCode}:\n{engine.Output}");
        var line = Assert.Single(engine.Output.Split('\n'), l => l.StartsWith("engine: cannot start:", StringComparison.Ordinal));
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("address already in use", line, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("akka.remote.dot-netty.tcp.port", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", engine.Output, StringComparison.Ordinal);
        var attributes = (await Sqs.GetQueueAttributesAsync(_requestQueueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        Assert.Equal(("1", "0"), (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]));
    }

    [Fact]
    public async Task With_its_bootstrap_management_port_taken_the_engine_exits_1_with_one_clear_line_having_received_nothing()
    {
        await Sqs.SendMessageAsync(_requestQueueUrl, $$$"""{"schema":"messaging.request.v1","messageId":"busy","channel":"email","to":"r@{{{_prefix}}}.test","content":{"subject":"Hi","text":"Hello"}}""");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var environment = Environment();
        environment["Engine__Akka__Formation"] = "Bootstrap";
        environment["AKKA__MANAGEMENT__HTTP__HOSTNAME"] = "127.0.0.1";
        environment["AKKA__MANAGEMENT__HTTP__PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await using var engine = EngineProcess.Start(typeof(Program).Assembly.Location, environment);
        var exitCode = await engine.ExitedAsync(Deadline);

        Assert.True(exitCode == 1, $"exit code {exitCode}:\n{engine.Output}");
        var line = Assert.Single(engine.Output.Split('\n'), l => l.StartsWith("engine: cannot start:", StringComparison.Ordinal));
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("address already in use", line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Unhandled exception", engine.Output, StringComparison.Ordinal);
        var attributes = (await Sqs.GetQueueAttributesAsync(_requestQueueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        Assert.Equal(("1", "0"), (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]));
    }

    [Fact]
    public async Task Without_a_token_key_the_engine_warns_at_start_and_the_api_says_it_is_not_configured()
    {
        await using var engine = EngineProcess.Start(typeof(Program).Assembly.Location, Environment());
        var address = await engine.ListeningAtAsync(Deadline);
        using var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", OperatorTokens.Hs256("operator"));

        var response = await client.GetAsync(new Uri("/reputation", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("authentication is not configured: set Host:Auth:SigningKey, SigningKeyFile or RsaPublicKeyFiles",
            await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("The operator API is closed, every protected endpoint answers 401", engine.Output, StringComparison.Ordinal);
        Assert.Equal(0, await engine.StopAsync(Deadline));
    }
}
