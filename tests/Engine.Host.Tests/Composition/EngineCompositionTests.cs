using Akka.Actor;
using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Composition;

/// <summary>The host's wiring: the engine and its actor system give working, journaled recipient entities on SQLite.</summary>
public sealed class EngineCompositionTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"messaging-composition-{Guid.NewGuid():N}");

    private WebApplicationFactory<Program> Host() =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .UseSetting("Engine:Aws:Region", "us-east-1")
            .UseSetting("Engine:Persistence:SqlitePath", Path.Combine(_directory, "engine.db")));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_suppression_made_through_the_hosts_recipient_region_is_there_after_a_restart()
    {
        var ana = RecipientKey.For(Channel.Email, "ana@example.com");
        await using (var first = Host())
        {
            _ = first.Server; // starts the host: migrations run, the lone node forms its cluster
            var change = await first.Services.GetRequiredService<RecipientRegion>().ActorRef
                .Ask<SuppressionChange>(new SuppressByOperator(ana, "ops@example.com", "asked by phone"), TimeSpan.FromSeconds(20));
            Assert.Equal(SuppressionChange.Suppressed, change);
        }

        await using var second = Host();
        _ = second.Server;
        var state = await second.Services.GetRequiredService<RecipientRegion>().ActorRef
            .Ask<RecipientSnapshot>(new QueryRecipient(ana), TimeSpan.FromSeconds(20));

        Assert.Equal("asked by phone", state.State.Suppression?.Note);
        Assert.Equal(1, state.SequenceNr);
        Assert.Equal("operator", (await second.Services.GetRequiredService<IJournal>().ListSuppressionsAsync("email", 10, null, default)).Single().Reason);
    }

    [Fact]
    public void Invalid_persistence_settings_are_all_reported_at_once_and_validated_at_start_up()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = "us-east-1",
            ["Engine:Persistence:Provider"] = "Postgres",
            ["Engine:Persistence:MaxBatchSize"] = "0",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        Messaging.Engine.EngineServiceCollectionExtensions.AddMessagingEngine(services, configuration);
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<JournalOptions>>().Value);

        Assert.Contains(failure.Failures, f => f.Contains("PostgresConnectionString is required", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("MaxBatchSize must be between 1 and 10000", StringComparison.Ordinal));
        // ValidateOnStart: the host runs these checks before it starts anything.
        Assert.NotEmpty(provider.GetServices<Microsoft.Extensions.Options.IStartupValidator>());
    }
}
