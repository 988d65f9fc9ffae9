using Amazon.Runtime;
using Messaging.Engine;
using Messaging.Engine.Aws.Signing;
using Messaging.Host.Cli;
using Messaging.Host.Tests.Api;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Host.Tests.Cli;

/// <summary>
/// <c>engine recipient suppress|show|unsuppress</c> works through a running engine's API on its recipient actors: a
/// quoted spelling names the same recipient as the plain address, whose actor is the one requests reach.
/// </summary>
public sealed class QuotedAddressCommandsTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IDisposable
{
    private OperatorHost? _engine;

    private readonly string _prefix = $"q{Guid.NewGuid():N}"[..13];
    private string Directory => Path.Combine(Path.GetTempPath(), $"messaging-cli-quoted-{_prefix}");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private ServiceProvider Services()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = SmsFixtureServer.Region,
            ["Engine:Aws:SqsEndpoint"] = peers.SqsEndpoint.ToString(),
            ["Engine:Aws:SesEndpoint"] = peers.SesEndpoint.ToString(),
            ["Engine:Persistence:SqlitePath"] = Path.Combine(Directory, "engine.db"),
            ["Engine:Ingest:RequestQueues:0:Name"] = $"{_prefix}-requests",
            ["Engine:Ingest:DeadLetterQueue"] = $"{_prefix}-dlq",
            ["Engine:Ingest:FeedbackQueue"] = $"{_prefix}-feedback",
            ["Engine:Ingest:FeedbackDeadLetterQueue"] = $"{_prefix}-feedback-dlq",
            // The running engine the recipient commands call, and the secret they sign their token with.
            [RunningEngine.UrlVariable] = _engine?.BaseAddress.ToString(),
            ["Host:Auth:SigningKey"] = OperatorTokens.Secret,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMessagingEngine(configuration);
        services.Replace(ServiceDescriptor.Singleton<IAwsCredentialSource>(
            new StaticAwsCredentialSource(new ImmutableCredentials(SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey, null))));
        return services.BuildServiceProvider();
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await EngineCommands.Build(Services, output, error).Parse(args).InvokeAsync();
        return (code, output.ToString().ReplaceLineEndings("\n"), error.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_quoted_spelling_suppresses_shows_and_unsuppresses_the_plain_address()
    {
        await using var engine = _engine = await OperatorHost.StartAsync(peers, kestrel: true, ("urls", "http://127.0.0.1:0"));
        var suppressed = await RunAsync("recipient", "suppress", "email", "\"victim\"@example.com", "--reason", "asked by phone", "--by", "ops");
        var shownPlain = await RunAsync("recipient", "show", "email", "victim@example.com");
        var lifted = await RunAsync("recipient", "unsuppress", "email", "\"Vic\\tim\"@example.com", "--reason", "mistake", "--by", "ops");
        var shownQuoted = await RunAsync("recipient", "show", "email", "\"victim\"@example.com");
        var refused = await RunAsync("recipient", "suppress", "email", "\"john doe\"@example.com", "--reason", "r");

        Assert.Equal((EngineCommands.Done, "email:victim@example.com: Suppressed\n"), (suppressed.Code, suppressed.Output));
        Assert.StartsWith("email:victim@example.com: SUPPRESSED (Operator since ", shownPlain.Output);
        Assert.Equal((EngineCommands.Done, "email:victim@example.com: Unsuppressed\n"), (lifted.Code, lifted.Output));
        Assert.StartsWith("email:victim@example.com: not suppressed", shownQuoted.Output);
        Assert.Equal(EngineCommands.BadInput, refused.Code);
        Assert.Contains("has a quoted part before the '@' that cannot be written without quotes", refused.Error);
    }
}
