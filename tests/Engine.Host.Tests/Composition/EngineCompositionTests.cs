using Messaging.Contracts.Requests;
using Messaging.Engine.Actors;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Composition;

/// <summary>The host's wiring: AddMessagingEngine gives working, journaled recipient actors on SQLite.</summary>
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
    public async Task A_suppression_made_through_the_hosts_recipient_actors_is_there_after_a_restart()
    {
        var ana = RecipientKey.For(Channel.Email, "ana@example.com");
        await using (var first = Host())
        {
            _ = first.Server; // starts the host: migrations run
            var recipients = first.Services.GetRequiredService<EntityRegistry<RecipientKey, RecipientCommand>>();
            var change = await recipients.AskAsync<SuppressionChange>(
                ana, r => new SuppressRecipient("ops@example.com", "asked by phone", r), TimeSpan.FromSeconds(20), default);
            Assert.Equal(SuppressionChange.Suppressed, change);
        }

        await using var second = Host();
        _ = second.Server;
        var state = await second.Services.GetRequiredService<EntityRegistry<RecipientKey, RecipientCommand>>()
            .AskAsync<RecipientSnapshot>(ana, r => new GetRecipientState(r), TimeSpan.FromSeconds(20), default);

        Assert.Equal("asked by phone", state.State.Suppression?.Note);
        Assert.Equal(1, await second.Services.GetRequiredService<IJournal>().ReadHighestSequenceNrAsync(ana.ToString(), default));
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
