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

    public override string SkipLockedRows => " FOR UPDATE SKIP LOCKED";

    public override string? SkipCommitFlush => "SET LOCAL synchronous_commit = off";

    public override IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        JournalTables(bigint: "BIGINT", bytes: "BYTEA", keyedTableOptions: ""),
        TemplateTables(bigint: "BIGINT"),
        ReputationTables(bigint: "BIGINT", identity: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
        SuppressionTable(bigint: "BIGINT"),
        NodeTable(bigint: "BIGINT"),
        SendSlotTable(bigint: "BIGINT"),
        NodeShareColumn(),
        DeadLetterBodyTable(bigint: "BIGINT"),
        AkkaPersistenceTables(bigint: "BIGINT", bytes: "BYTEA", keyedTableOptions: ""),
        RecipientHistoryCopy(),
    ];

    public override string NowMicroseconds => "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT";

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
