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
/// Runs <c>engine</c> commands as a user would, on a fresh SQLite database in its own folder, the real SQS and SES
/// peers and queues named after <see cref="Prefix"/>; recipient commands call <see cref="Engine"/> once one is started.
/// </summary>
internal sealed class CliHarness(LocalAwsPeers peers, string prefix, string folderName) : IDisposable
{
    public string Prefix => prefix;

    /// <summary>The database's folder, deleted with the harness.</summary>
    public string Directory => Path.Combine(Path.GetTempPath(), $"messaging-cli-{folderName}-{prefix}");

    /// <summary>The running engine the recipient commands call; none until a test starts one.</summary>
    public OperatorHost? Engine { get; set; }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    public ServiceProvider Services()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = SmsFixtureServer.Region,
            ["Engine:Aws:SqsEndpoint"] = peers.SqsEndpoint.ToString(),
            ["Engine:Aws:SesEndpoint"] = peers.SesEndpoint.ToString(),
            ["Engine:Persistence:SqlitePath"] = Path.Combine(Directory, "engine.db"),
            ["Engine:Ingest:RequestQueues:0:Name"] = $"{prefix}-requests",
            ["Engine:Ingest:DeadLetterQueue"] = $"{prefix}-dlq",
            ["Engine:Ingest:FeedbackQueue"] = $"{prefix}-feedback",
            ["Engine:Ingest:FeedbackDeadLetterQueue"] = $"{prefix}-feedback-dlq",
            // The running engine the recipient commands call, and the secret they sign their token with.
            [RunningEngine.UrlVariable] = Engine?.BaseAddress.ToString(),
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

    /// <summary>Runs one command line through the CLI's own entry point; its exit code, output and errors.</summary>
    public async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await EngineCommands.InvokeAsync(args, Services, output, error);
        return (code, output.ToString().ReplaceLineEndings("\n"), error.ToString().ReplaceLineEndings("\n"));
    }
}
