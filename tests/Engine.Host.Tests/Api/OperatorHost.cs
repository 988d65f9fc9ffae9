using System.Net;
using System.Net.Http.Headers;
using Amazon.Runtime;
using Messaging.Engine;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Ingest;
using Messaging.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Host.Tests.Api;

/// <summary>The real host (engine + operator API) on its own queues and database, against the local AWS peers.</summary>
public sealed class OperatorHost : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;
    private readonly string _directory;

    private OperatorHost(WebApplicationFactory<Program> factory, string directory, string prefix, ProviderFaults faults)
    {
        _factory = factory;
        _directory = directory;
        Prefix = prefix;
        Faults = faults;
    }

    public string Prefix { get; }

    public IServiceProvider Services => _factory.Services;

    /// <summary>Faults this host's provider calls are given (none until a test sets a rule).</summary>
    public ProviderFaults Faults { get; }

    public string Address(string local) => $"{local}@{Prefix}.test";

    public static Task<OperatorHost> StartAsync(LocalAwsPeers peers, params (string Key, string Value)[] extra) =>
        StartAsync(peers, kestrel: false, extra);

    /// <param name="kestrel">Serve on a real loopback port (for a browser), not the in-memory test server.</param>
    public static async Task<OperatorHost> StartAsync(LocalAwsPeers peers, bool kestrel, params (string Key, string Value)[] extra)
    {
        var prefix = $"o{Guid.NewGuid():N}"[..13];
        var directory = Path.Combine(Path.GetTempPath(), $"messaging-operator-{prefix}");
        var settings = new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = SmsFixtureServer.Region,
            ["Engine:Aws:SqsEndpoint"] = peers.SqsEndpoint.ToString(),
            ["Engine:Aws:SesEndpoint"] = peers.SesEndpoint.ToString(),
            ["Engine:Persistence:SqlitePath"] = Path.Combine(directory, "engine.db"),
            ["Engine:Persistence:SqliteSynchronous"] = "NORMAL",
            ["Engine:Ingest:RequestQueues:0:Name"] = $"{prefix}-requests",
            ["Engine:Ingest:DeadLetterQueue"] = $"{prefix}-dlq",
            ["Engine:Ingest:FeedbackQueue"] = $"{prefix}-feedback",
            ["Engine:Ingest:FeedbackDeadLetterQueue"] = $"{prefix}-feedback-dlq",
            ["Engine:Ingest:WaitTime"] = "00:00:01",
            ["Engine:Sending:DefaultEmailFrom"] = "shop@example.com",
            ["Engine:Sending:RetryBaseDelay"] = "00:00:01",
            ["Engine:Sending:MaxRetryDelay"] = "00:00:02",
            ["Engine:Throttling:EmailMaxSendRate"] = "0",
            ["Host:Auth:SigningKey"] = OperatorTokens.Secret,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        // The queues exist before the engine starts taking from them, as after `engine init`.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using (var setup = new ServiceCollection().AddLogging().AddMessagingEngine(configuration)
                         .Replace(ServiceDescriptor.Singleton<IAwsCredentialSource>(Credentials)).BuildServiceProvider())
        {
            var created = await setup.GetRequiredService<QueueDirectory>().CreateAllAsync(default);
            if (!created.IsSuccess)
            {
                throw new InvalidOperationException($"Creating the queues failed: {created.Error}");
            }
        }

        var faults = new ProviderFaults();
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.UseEnvironment("Development");
            builder.ConfigureTestServices(services =>
            {
                services.Replace(ServiceDescriptor.Singleton<IAwsCredentialSource>(Credentials));
                services.AddHttpClient(AwsJsonTransport.HttpClientName).AddHttpMessageHandler(faults.CreateHandler);
            });
        });
        var started = new OperatorHost(factory, directory, prefix, faults);
        if (kestrel)
        {
            // Kestrel's own endpoint, not UseKestrel(port): the port given to this factory (made by WithWebHostBuilder)
            // never reached the server, which then bound its default localhost:5000 — taken by the next Kestrel host of
            // the run, whose Program stopped and disposed it (and the factory read a disposed host).
            factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            factory.StartServer();
        }
        else
        {
            _ = factory.Server;
        }

        return started;
    }

    private static StaticAwsCredentialSource Credentials => new(new ImmutableCredentials(SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey, null));

    /// <summary>Where the host listens (a real loopback address when started with Kestrel).</summary>
    public Uri BaseAddress => _factory.CreateClient().BaseAddress!;

    /// <summary>A client whose requests carry a token with <paramref name="role"/>, or none.</summary>
    public HttpClient Client(string? role = null, string? token = null)
    {
        var client = _factory.CreateClient();
        if ((token ?? (role is null ? null : OperatorTokens.Hs256(role))) is { } bearer)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
