using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Messaging.Engine.Persistence.AkkaPlugin;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;
using Messaging.Testing;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace Messaging.Engine.Tests.Persistence.AkkaPlugin;

/// <summary>Recipient histories written by the first release read through Akka's recovery into the same state.</summary>
public sealed class RecipientHistoryRecoveryTests : AkkaTestKit
{
    private static readonly string SamplePath =
        RepositoryLayout.PathOf("tests", "Engine.Tests", "Recipients", "Samples", "recipient-events.v1.jsonl");

    private readonly string _directory;
    private readonly RecipientEventSerializer _serializer = new();

    public RecipientHistoryRecoveryTests(ITestOutputHelper output)
        : this(Path.Combine(Path.GetTempPath(), $"messaging-akka-{Guid.NewGuid():N}"), output)
    {
    }

    private RecipientHistoryRecoveryTests(string directory, ITestOutputHelper output)
        : base(PluginConformanceTests.WithShippedSettings(ConfigurationFactory.ParseString(
            $"akka.persistence.journal.engine.sqlite-path = \"{Path.Combine(directory, "engine.db")}\"")), "history", output)
    {
        _directory = directory;
    }

    private EventStore Store => EventStores.Get(Sys).For(Sys.Settings.Config.GetConfig("akka.persistence.journal.engine"));

    [Fact]
    public async Task The_stored_version_1_history_replays_through_Akka_recovery_into_the_state_the_old_path_builds()
    {
        // The sample's rows as they are stored: the versioned type name as the manifest, the JSON contract as bytes.
        var lines = File.ReadAllLines(SamplePath).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var rows = lines.Select(e => new JournalRow(
            "email:ana@example.com", e.GetProperty("sequenceNr").GetInt64(), RecipientEventAkkaSerializer.Id,
            e.GetProperty("type").GetString()!, Encoding.UTF8.GetBytes(e.GetProperty("payload").GetRawText()),
            0, "v1-sample", null)).ToList();
        await Store.WriteAsync(new EventsWrite(rows), default);
        var oldPath = RecipientState.Empty.ApplyAll(rows.Select(r => _serializer.Deserialize(r.Manifest, r.Payload)));

        var probe = CreateTestProbe();
        Sys.ActorOf(RecipientStateShell.Props("email:ana@example.com", probe.Ref));
        var recovered = probe.ExpectMsg<RecipientStateShell.Recovered>();

        Assert.Equal(19, recovered.LastSequenceNr);
        Assert.Equal(StateBytes(oldPath), StateBytes(recovered.State));
        Assert.Equal(MessageStatusOf(oldPath, "m1"), MessageStatusOf(recovered.State, "m1"));
        Assert.True(recovered.State.IsSuppressed);
    }

    [Fact]
    public void Recipient_events_and_state_are_stored_under_their_versioned_names_by_the_bound_serializer_and_recover_through_a_snapshot()
    {
        var events = File.ReadAllLines(SamplePath).Select(line =>
        {
            using var entry = JsonDocument.Parse(line);
            return _serializer.Deserialize(
                entry.RootElement.GetProperty("type").GetString()!,
                Encoding.UTF8.GetBytes(entry.RootElement.GetProperty("payload").GetRawText()));
        }).ToArray();
        var probe = CreateTestProbe();
        var shell = Sys.ActorOf(RecipientStateShell.Props("email:bo@example.com", probe.Ref));
        probe.ExpectMsg<RecipientStateShell.Recovered>();

        shell.Tell(events[..10]);
        probe.ExpectMsg<RecipientStateShell.Recovered>();
        shell.Tell(new Recorder.TakeSnapshot());
        probe.ExpectMsg<SaveSnapshotSuccess>();
        shell.Tell(events[10..]);
        var live = probe.ExpectMsg<RecipientStateShell.Recovered>().State;
        Watch(shell);
        shell.Tell(PoisonPill.Instance);
        ExpectTerminated(shell);

        Sys.ActorOf(RecipientStateShell.Props("email:bo@example.com", probe.Ref));
        var recovered = probe.ExpectMsg<RecipientStateShell.Recovered>();

        Assert.Equal(StateBytes(live), StateBytes(recovered.State));
        Assert.Equal(
            [(RecipientEventAkkaSerializer.Id, "recipient.request-accepted.v1"), (RecipientEventAkkaSerializer.Id, "recipient.send-intended.v1")],
            StoredFormats("event_journal", "email:bo@example.com").Take(2));
        Assert.Equal([(RecipientEventAkkaSerializer.Id, RecipientEventSerializer.StateType)], StoredFormats("snapshot_store", "email:bo@example.com"));
    }

    private byte[] StateBytes(RecipientState state) => _serializer.SerializeState(state).Payload.ToArray();

    private static object? MessageStatusOf(RecipientState state, string messageId) => state.Find(messageId)?.Status;

    private List<(int, string)> StoredFormats(string table, string persistenceId)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "engine.db")};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT serializer_id, manifest FROM {table} WHERE persistence_id = @pid ORDER BY sequence_nr";
        command.Parameters.AddWithValue("@pid", persistenceId);
        using var reader = command.ExecuteReader();
        var formats = new List<(int, string)>();
        while (reader.Read())
        {
            formats.Add((reader.GetInt32(0), reader.GetString(1)));
        }

        return formats;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
