using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Health;

/// <summary>
/// SES unreachable (connection refused) under a real engine process: the outage is logged at Warning, rate-limited,
/// and shows on /metrics, in /health/ready (degraded, still ready) and in the dashboard's summary.
/// </summary>
public sealed class ProviderOutageTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _prefix = $"u{Guid.NewGuid():N}"[..13];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-outage-{Guid.NewGuid():N}");
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

    /// <summary>A loopback port nothing listens on: connecting is refused.</summary>
    private static Uri RefusedEndpoint()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    [Fact]
    public async Task An_ses_outage_is_warned_about_once_per_interval_and_shows_on_metrics_readiness_and_the_dashboard()
    {
        var environment = EngineProcess.PeerEnvironment(peers, RefusedEndpoint(), _prefix);
        environment["Engine__Persistence__SqlitePath"] = Path.Combine(_directory, "engine.db");
        environment["Engine__Ingest__RequestQueues__0__Name"] = $"{_prefix}-requests";
        environment["Engine__Throttling__EmailMaxSendRate"] = "0";
        environment["Engine__Sending__RetryBaseDelay"] = "00:00:01";
        environment["Engine__Sending__MaxRetryDelay"] = "00:00:01";
        environment["Host__Auth__SigningKey"] = OperatorTokens.Secret;
        await using var engine = EngineProcess.Start(typeof(Program).Assembly.Location, environment);
        using var client = new HttpClient { BaseAddress = await engine.ListeningAtAsync(Deadline) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", OperatorTokens.Hs256("reader"));
        for (var i = 0; i < 5; i++)
        {
            await Sqs.SendMessageAsync(_requestQueueUrl, $$$"""{"schema":"messaging.request.v1","messageId":"out-{{{i}}}","channel":"email","to":"r{{{i}}}@{{{_prefix}}}.test","content":{"subject":"Hi","text":"Hello"}}""");
        }

        // The five sends and their retries fail; the quota monitor's calls too.
        JsonElement ses = default;
        await AwaitCondition.UntilAsync(async () =>
        {
            using var summary = JsonDocument.Parse(await client.GetStringAsync(new Uri("/dashboard/summary", UriKind.Relative)));
            ses = summary.RootElement.GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("provider").GetString() == "ses").Clone();
            return !ses.GetProperty("up").GetBoolean() && ses.GetProperty("failuresSinceUp").GetInt32() >= 5;
        }, Deadline, $"the dashboard shows SES down after 5 failed calls:\n{engine.Output}");
        Assert.StartsWith("ConnectionFailed: ", ses.GetProperty("lastFailure").GetString(), StringComparison.Ordinal);

        var warnings = engine.Output.Split('\n').Count(l => l.Contains("SES unreachable or failing: ConnectionFailed", StringComparison.Ordinal));
        Assert.True(warnings >= 1, $"no warning:\n{engine.Output}");
        Assert.True(warnings < ses.GetProperty("failuresSinceUp").GetInt32(), $"{warnings} warnings for {ses.GetProperty("failuresSinceUp")} failures: not rate-limited");

        var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using (var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()))
        {
            Assert.Equal("degraded", report.RootElement.GetProperty("status").GetString());
            Assert.Contains(report.RootElement.GetProperty("providers").EnumerateArray(),
                p => p.GetProperty("provider").GetString() == "ses" && !p.GetProperty("up").GetBoolean());
        }

        var metrics = (await client.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n');
        Assert.Contains("messaging_provider_up{provider=\"ses\"} 0", metrics);
        Assert.Contains("messaging_provider_up{provider=\"sqs\"} 1", metrics);
        Assert.Contains(metrics, l => l.StartsWith("messaging_provider_last_failure_timestamp_seconds{provider=\"ses\"} ", StringComparison.Ordinal));
        Assert.Equal(0, await engine.StopAsync(Deadline));
    }
}
