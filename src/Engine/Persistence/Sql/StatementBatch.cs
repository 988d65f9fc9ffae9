using System.Data.Common;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>
/// Statements to run in order inside one transaction, answering how many rows each touched. Where the provider
/// supports <see cref="DbBatch"/> (Npgsql) they go to the server in one round trip; otherwise (SQLite, in-process,
/// where a round trip costs nothing) they run one by one on the writer connection, each prepared once per SQL text for
/// as long as the connection lives (<see cref="PreparedConnection.ExecuteAsync"/>). Batched statements run on the
/// connection's kept batch commands (<see cref="PreparedConnection.AddToBatch"/>), with positional placeholders where
/// <see cref="PositionalSql"/> can number them, so the provider need not parse them.
/// </summary>
internal sealed class StatementBatch(PreparedConnection writer, DbTransaction transaction)
{
    private readonly List<(string Sql, (string Name, object Value)[] Parameters)> _statements = [];

    public int Count => _statements.Count;

    public void Add(string sql, params (string Name, object Value)[] parameters) => _statements.Add((sql, parameters));

    /// <summary>Runs every statement added so far, in order; returns the rows each one affected.</summary>
    public async Task<int[]> ExecuteAsync(CancellationToken cancellationToken)
    {
        var affected = new int[_statements.Count];
        if (_statements.Count == 0)
        {
            return affected;
        }

        var connection = writer.Connection;
        if (connection.CanCreateBatch)
        {
            var batch = writer.Batch(transaction);
            foreach (var (sql, parameters) in _statements)
            {
                writer.AddToBatch(sql, parameters);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < affected.Length; i++)
            {
                affected[i] = batch.BatchCommands[i].RecordsAffected;
            }
        }
        else
        {
            for (var i = 0; i < _statements.Count; i++)
            {
                var (sql, parameters) = _statements[i];
                affected[i] = await writer.ExecuteAsync(sql, transaction, parameters, cancellationToken).ConfigureAwait(false);
            }
        }

        _statements.Clear();
        return affected;
    }
}
