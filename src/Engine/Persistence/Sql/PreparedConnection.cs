using System.Data.Common;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>
/// A connection kept open from one use to the next, with one command per SQL text kept on it: the group-commit loop's,
/// and on SQLite the readers' (see <see cref="SqlDialect.KeepsReadConnections"/>).
/// </summary>
/// <remarks>
/// One user at a time (the group-commit loop, one batch at a time; a reader, one read at a time), so nothing here is
/// shared. Opening a pooled connection per
/// batch cost SQLite its write pragmas each time, and a command made per batch is prepared anew (Microsoft.Data.Sqlite
/// keeps a statement prepared only for the life of its command; preparing and binding were 7 % of the engine's CPU at
/// full speed, and binding remains). A command kept here stays prepared across batches; only its parameter values
/// change. After a failure its user disposes this and opens a fresh one, so a broken connection is never reused.
/// </remarks>
internal sealed class PreparedConnection(DbConnection connection) : IAsyncDisposable
{
    // Commands kept per SQL text for a batch (Npgsql): beyond this many uses of one text in a batch they are made anew.
    private const int KeptBatchCommandsPerText = 64;

    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    // The batch and its commands, kept like the commands above: made per batch they and their parameters were a
    // tenth of the engine's allocations at 500 sends/s on PostgreSQL.
    private readonly Dictionary<string, KeptBatchCommands> _batchCommands = new(StringComparer.Ordinal);
    private DbBatch? _batch;

    // SQLite's writes skip the provider's command (Sqlite.SqliteWriteStatements says why).
    private Sqlite.SqliteWriteStatements? _sqliteWrites;

    public DbConnection Connection { get; } = connection;

    /// <summary>Runs one change in <paramref name="transaction"/>; returns the rows it touched.</summary>
    public Task<int> ExecuteAsync(
        string sql, DbTransaction transaction, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        if (Connection is Microsoft.Data.Sqlite.SqliteConnection sqlite)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _sqliteWrites ??= new Sqlite.SqliteWriteStatements(sqlite);
            return Task.FromResult(_sqliteWrites.Execute(sql, parameters));
        }

        return Command(sql, transaction, parameters).ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The command for <paramref name="sql"/> in <paramref name="transaction"/> (none for a read), its parameters set.</summary>
    public DbCommand Command(string sql, DbTransaction? transaction, (string Name, object Value)[] parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            // Npgsql would parse a named text again at every execution; SQLite takes the names as they are.
            var positional = Connection is Npgsql.NpgsqlConnection ? PositionalSql.For(sql, parameters) : null;
            command.CommandText = positional ?? sql;
            foreach (var (name, _) in parameters)
            {
                var parameter = command.CreateParameter();
                if (positional is null)
                {
                    parameter.ParameterName = name;
                }

                command.Parameters.Add(parameter);
            }

            _commands.Add(sql, command);
        }
        else if (command.Parameters.Count != parameters.Length)
        {
            throw new ArgumentException($"The statement was first run with {command.Parameters.Count} parameters, now with {parameters.Length}.", nameof(parameters));
        }

        command.Transaction = transaction;
        for (var p = 0; p < parameters.Length; p++)
        {
            command.Parameters[p].Value = parameters[p].Value;
        }

        return command;
    }

    /// <summary>
    /// This connection's batch, emptied: statements go in with <see cref="AddToBatch"/>. It runs in no
    /// <see cref="DbTransaction"/>: <see cref="StatementBatch"/> sends the transaction's BEGIN and COMMIT in it.
    /// </summary>
    public DbBatch Batch()
    {
        _batch ??= Connection.CreateBatch();
        _batch.BatchCommands.Clear();
        foreach (var kept in _batchCommands.Values)
        {
            kept.Used = 0;
        }

        return _batch;
    }

    /// <summary>Adds one statement to the <see cref="Batch"/>, on a command kept for its SQL text when there is one.</summary>
    public void AddToBatch(string sql, (string Name, object Value)[] parameters)
    {
        var batch = _batch ?? throw new InvalidOperationException("No batch was begun on this connection.");
        if (!_batchCommands.TryGetValue(sql, out var kept))
        {
            kept = new KeptBatchCommands();
            _batchCommands.Add(sql, kept);
        }

        DbBatchCommand command;
        if (kept.Used < kept.Commands.Count)
        {
            command = kept.Commands[kept.Used];
            if (command.Parameters.Count != parameters.Length)
            {
                throw new ArgumentException($"The statement was first run with {command.Parameters.Count} parameters, now with {parameters.Length}.", nameof(parameters));
            }
        }
        else
        {
            command = batch.CreateBatchCommand();
            var positional = Connection is Npgsql.NpgsqlConnection ? PositionalSql.For(sql, parameters) : null;
            command.CommandText = positional ?? sql;
            foreach (var (name, _) in parameters)
            {
                var parameter = command.CreateParameter();
                if (positional is null)
                {
                    parameter.ParameterName = name;
                }

                command.Parameters.Add(parameter);
            }

            if (kept.Commands.Count < KeptBatchCommandsPerText)
            {
                kept.Commands.Add(command);
            }
        }

        kept.Used++;
        for (var p = 0; p < parameters.Length; p++)
        {
            command.Parameters[p].Value = parameters[p].Value;
        }

        batch.BatchCommands.Add(command);
    }

    public async ValueTask DisposeAsync()
    {
        // Before the connection goes back to the pool: a statement left prepared on it would outlive its user.
        _sqliteWrites?.Dispose();
        _sqliteWrites = null;
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }

        _commands.Clear();
        if (_batch is not null)
        {
            await _batch.DisposeAsync().ConfigureAwait(false);
            _batch = null;
        }

        _batchCommands.Clear();
        await Connection.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class KeptBatchCommands
    {
        public List<DbBatchCommand> Commands { get; } = [];

        /// <summary>How many of <see cref="Commands"/> the batch being made has taken.</summary>
        public int Used { get; set; }
    }
}
