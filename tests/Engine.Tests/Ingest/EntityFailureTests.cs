using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>
/// The pipeline asks the recipient's entity through the shard region: when the entity cannot decide (its journal refuses
/// the write, so it answers a failure and stops), the request is retried and then dead-lettered with the reason — never
/// dropped, never sent.
/// </summary>
public sealed class EntityFailureTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_request_whose_entity_cannot_persist_is_retried_then_dead_lettered_with_the_reason_and_never_sent()
    {
        var prefix = $"t{Guid.NewGuid():N}"[..13];
        var directory = Path.Combine(Path.GetTempPath(), $"messaging-engine-{prefix}");
        await using var engine = await EngineUnderTest.StartAsync(peers, directory: directory, prefix: prefix);
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "engine.db")};Pooling=false"))
        {
            // The entity's journal refuses this recipient's events (a full disk, a broken store): its persist fails.
            await connection.OpenAsync();
            await using var refuse = connection.CreateCommand();
            refuse.CommandText = """
                CREATE TRIGGER refuse_events BEFORE INSERT ON event_journal
                WHEN NEW.persistence_id LIKE 'email:refused@%'
                BEGIN SELECT RAISE(ABORT, 'the store refuses this write'); END;
                """;
            await refuse.ExecuteNonQueryAsync();
        }

        await engine.EnqueueAsync([EngineUnderTest.EmailRequest("refused-1", engine.Address("refused"))]);

        var deadLetters = new List<Message>();
        await AwaitCondition.UntilAsync(async () =>
        {
            deadLetters.AddRange(await engine.TakeDeadLettersAsync());
            return deadLetters.Count > 0 && await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0;
        }, Deadline, "refused-1 is moved to the dead-letter queue");

        var error = Assert.Single(deadLetters).StringAttribute(DeadLetterWriter.ErrorAttribute);
        Assert.StartsWith("gave up after 3 attempt(s); last error: JournalStorageException: ", error, StringComparison.Ordinal);
        Assert.Contains("refuses this write", error, StringComparison.Ordinal);
        Assert.Empty(await engine.SentEmailsAsync(peers));
        Assert.NotEqual("sent", (await engine.Services.GetRequiredService<IJournal>().FindMessageAsync("refused-1", default))?.Status);
    }
}
