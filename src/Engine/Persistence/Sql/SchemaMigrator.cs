using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>
/// Brings a database to the newest schema at start-up: each migration not yet recorded in
/// <c>schema_migrations</c> runs in one transaction with its record, so a failed migration leaves nothing behind and
/// is retried at the next start. Several nodes starting at once queue on the dialect's lock.
/// </summary>
internal sealed partial class SchemaMigrator(SqlDialect dialect, TimeProvider timeProvider, ILogger logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        try
        {
            var connection = await dialect.OpenAsync(forWrite: true, cancellationToken).ConfigureAwait(false);
            await using var _ = connection.ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var __ = transaction.ConfigureAwait(false);
            await dialect.LockForMigrationAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at BIGINT NOT NULL)
                """, cancellationToken).ConfigureAwait(false);

            var applied = new HashSet<int>();
            using (var select = connection.CreateCommand())
            {
                select.Transaction = transaction;
                select.CommandText = "SELECT version FROM schema_migrations";
                var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var ___ = reader.ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    applied.Add(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture));
                }
            }

            foreach (var migration in dialect.Migrations.OrderBy(m => m.Version))
            {
                if (applied.Contains(migration.Version))
                {
                    continue;
                }

                await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
                using var record = connection.CreateCommand();
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @at)";
                AddParameter(record, "v", migration.Version);
                AddParameter(record, "n", migration.Name);
                AddParameter(record, "at", timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                LogMigrationApplied(migration.Version, migration.Name, dialect.Description);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new JournalStorageException($"Migrating the schema of {dialect.Description} failed: {e.Message}", e);
        }
    }

    private static async Task ExecuteAsync(
        DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        // Prefixed, so Microsoft.Data.Sqlite binds it directly instead of trying each prefix in turn.
        parameter.ParameterName = "@" + name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema migration {Version} ({Name}) to {Store}")]
    private partial void LogMigrationApplied(int version, string name, string store);
}
