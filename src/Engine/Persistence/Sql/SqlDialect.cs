using System.Data.Common;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>
/// What differs between the SQL stores: how a connection is opened and tuned, the DDL of each migration, and how
/// concurrent start-ups are kept from migrating at the same time. Every query and write statement is shared: both
/// stores speak <c>INSERT … ON CONFLICT</c>, partial indexes and <c>LIMIT</c>.
/// </summary>
internal abstract class SqlDialect : IAsyncDisposable
{
    /// <summary>For messages and logs: "SQLite at data/engine.db".</summary>
    public abstract string Description { get; }

    public abstract IReadOnlyList<SchemaMigration> Migrations { get; }

    /// <summary>Opens a connection; one that will write is tuned for durability.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(bool forWrite, CancellationToken cancellationToken);

    /// <summary>Inside the migration transaction: make other processes that migrate the same database wait.</summary>
    public abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
