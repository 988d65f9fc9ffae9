using Akka.Actor;
using Akka.Configuration;
using Messaging.Engine.Persistence.Postgres;
using Messaging.Engine.Persistence.Sql;
using Messaging.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Messaging.Engine.Tests.Persistence.AkkaPlugin;

/// <summary>The plugin's conformance suite on a real PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresPluginTests : PluginConformanceTests
{
    private readonly string _connectionString;

    public PostgresPluginTests(PostgresServer server, ITestOutputHelper output)
        : this(CreateDatabase(server), output)
    {
    }

    private PostgresPluginTests(string connectionString, ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString(
            $"akka.persistence.journal.engine {{ provider = postgres, postgres-connection-string = \"{connectionString}\" }}"), output)
    {
        _connectionString = connectionString;
    }

    // Port 1 on loopback: nothing listens, the connection is refused at once.
    private protected override Config UnreachableStorage => ConfigurationFactory.ParseString(
        "akka.persistence.journal.engine { provider = postgres, postgres-connection-string = \"Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=5\" }");

    private protected override SqlDialect InHouseDialect() => new PostgresDialect(_connectionString);

    private protected override string RefusePoisonSql => """
        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF position('poison' in convert_from(NEW.payload, 'UTF8')) > 0 THEN RAISE EXCEPTION 'poison refused'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_poison BEFORE INSERT ON event_journal FOR EACH ROW EXECUTE FUNCTION refuse_poison();
        """;

    private protected override async Task<object?> ScalarAsync(string sql)
    {
        await Store.ReadHighestSequenceNrAsync("migrated", default);
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private protected override async Task ExecuteSqlAsync(string sql)
    {
        await Store.ReadHighestSequenceNrAsync("migrated", default);
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_writer_connection_the_server_ended_fails_the_persist_in_flight_and_the_next_incarnation_writes_on_a_new_one()
    {
        var probe = CreateTestProbe();
        var entity = Sys.ActorOf(Recorder.Props("killed", probe.Ref));
        probe.ExpectMsg<Recorder.Recovered>();
        entity.Tell(new Recorder.Write("one"));
        probe.ExpectMsg<Recorder.Persisted>();

        // A server restart or an administrator ends the group commit's open connection under it.
        await ExecuteSqlAsync(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");

        Watch(entity);
        entity.Tell(new Recorder.Write("two"));
        Assert.Contains("killed #2", probe.ExpectMsg<Recorder.PersistFailed>().Reason);
        ExpectTerminated(entity);

        var again = Sys.ActorOf(Recorder.Props("killed", probe.Ref));
        Assert.Equal(["one"], probe.ExpectMsg<Recorder.Recovered>().Events);
        again.Tell(new Recorder.Write("two, again"));
        probe.ExpectMsg<Recorder.Persisted>();
        Watch(again);
        again.Tell(PoisonPill.Instance);
        ExpectTerminated(again);
        Sys.ActorOf(Recorder.Props("killed", probe.Ref));
        Assert.Equal(["one", "two, again"], probe.ExpectMsg<Recorder.Recovered>().Events);
    }

    // The server is started by the collection fixture before any test class is built; a fresh database is quick.
    private static string CreateDatabase(PostgresServer server) => server.CreateDatabaseAsync().GetAwaiter().GetResult();
}
