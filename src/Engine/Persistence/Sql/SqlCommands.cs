using System.Data.Common;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>The few lines every table beside the journal (templates, reputation) needs to run a statement.</summary>
internal static class SqlCommands
{
    /// <summary>Runs <paramref name="work"/> on a connection; a database failure becomes a <see cref="JournalStorageException"/> saying what failed.</summary>
    public static async Task<T> RunAsync<T>(
        this SqlDialect dialect, string what, bool forWrite, Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await dialect.OpenAsync(forWrite, cancellationToken).ConfigureAwait(false);
            await using var _ = connection.ConfigureAwait(false);
            return await work(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new JournalStorageException($"{what} failed in {dialect.Description}: {e.Message}", e);
        }
    }

    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>Adds a parameter, <c>@</c>-prefixed so Microsoft.Data.Sqlite binds it without trying each prefix.</summary>
    public static void Bind(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
