using Messaging.Contracts.Requests;
using Messaging.Engine.Actors;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Microsoft.AspNetCore.Mvc.Testing;
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
    public async Task Start_up_fails_listing_every_invalid_persistence_setting()
    {
        await using var host = new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .UseSetting("Engine:Aws:Region", "us-east-1")
            .UseSetting("Engine:Persistence:Provider", "Postgres")
            .UseSetting("Engine:Persistence:MaxBatchSize", "0"));

        var failure = Assert.ThrowsAny<Exception>(() => host.Server);

        var message = failure.ToString();
        Assert.Contains("PostgresConnectionString is required", message);
        Assert.Contains("MaxBatchSize must be between 1 and 10000", message);
    }
}
