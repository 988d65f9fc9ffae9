using System.Data.Common;
using Messaging.Engine.Persistence.Sql;
using Npgsql;

namespace Messaging.Engine.Persistence.Postgres;

/// <summary>PostgreSQL through a pooled <see cref="NpgsqlDataSource"/>; shared by every node of a cluster.</summary>
internal sealed class PostgresDialect : SqlDialect
{
    // Any constant works, as long as every node uses the same one: it names the lock that serializes migrations.
    private const long MigrationLockKey = 0x6D65_7373_6167_6531;

    private readonly NpgsqlDataSource _dataSource;

    public PostgresDialect(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            // The journal runs the same few statements all day: let Npgsql prepare them once per connection.
            builder.MaxAutoPrepare = 32;
        }

        Description = $"PostgreSQL database {builder.Database} at {builder.Host}:{builder.Port}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public override string Description { get; }

    public override IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(1, "journal, snapshots and messages", """
            CREATE TABLE journal (
                persistence_id TEXT NOT NULL,
                sequence_nr BIGINT NOT NULL,
                type TEXT NOT NULL,
                payload BYTEA NOT NULL,
                written_at BIGINT NOT NULL,
                PRIMARY KEY (persistence_id, sequence_nr));
            CREATE TABLE snapshots (
                persistence_id TEXT PRIMARY KEY,
                sequence_nr BIGINT NOT NULL,
                type TEXT NOT NULL,
                payload BYTEA NOT NULL,
                written_at BIGINT NOT NULL);
            CREATE TABLE messages (
                message_id TEXT PRIMARY KEY CHECK (message_id <> ''),
                recipient_key TEXT NOT NULL,
                channel TEXT NOT NULL,
                category TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                provider_message_id TEXT,
                accepted_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                accepted_day INTEGER NOT NULL);
            CREATE INDEX messages_by_provider_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
            CREATE INDEX messages_by_recipient ON messages (recipient_key, accepted_at);
            CREATE INDEX messages_by_day ON messages (accepted_day);
            """),
    ];

    public override async ValueTask<DbConnection> OpenAsync(bool forWrite, CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public override async Task LockForMigrationAsync(
        DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT pg_advisory_xact_lock({MigrationLockKey})";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
