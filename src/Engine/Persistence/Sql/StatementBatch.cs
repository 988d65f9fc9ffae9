using System.Data.Common;

namespace Messaging.Engine.Persistence.Sql;

/// <summary>
/// One transaction's statements, run in order, answering how many rows each touched. Where the provider supports
/// <see cref="DbBatch"/> (Npgsql) each <see cref="ExecuteAsync"/> goes to the server in one round trip, and the
/// transaction's own <c>BEGIN</c> and <c>COMMIT</c> travel inside those batches rather than on round trips of their
/// own. Otherwise (SQLite, in-process, where a round trip costs nothing) the statements run one by one on the writer
/// connection in a <see cref="DbTransaction"/>, each prepared once per SQL text for as long as the connection lives
/// (<see cref="PreparedConnection.ExecuteAsync"/>). Batched statements run on the connection's kept batch commands
/// (<see cref="PreparedConnection.AddToBatch"/>), with positional placeholders where <see cref="PositionalSql"/> can
/// number them, so the provider need not parse them.
/// </summary>
/// <remarks>
/// In a batch with no error barriers PostgreSQL skips every statement after a failed one, <c>COMMIT</c> included, so a
/// failure commits nothing; its user then disposes the connection, and Npgsql rolls the open transaction back before
/// the connection is pooled again.
/// </remarks>
internal sealed class StatementBatch : IAsyncDisposable
{
    private const string BeginSql = "BEGIN";
    private const string CommitSql = "COMMIT";

    private readonly List<(string Sql, (string Name, object Value)[] Parameters)> _statements = [];
    private readonly PreparedConnection _writer;
    private readonly DbTransaction? _transaction;
    private bool _begun;
    private bool _committed;

    private StatementBatch(PreparedConnection writer, DbTransaction? transaction)
    {
        _writer = writer;
        _transaction = transaction;
    }

    public int Count => _statements.Count;

    /// <summary>Begins a transaction on <paramref name="writer"/>: at once, or with the first batch where there are batches.</summary>
    public static async ValueTask<StatementBatch> BeginAsync(PreparedConnection writer, CancellationToken cancellationToken) =>
        writer.Connection.CanCreateBatch
            ? new StatementBatch(writer, transaction: null)
            : new StatementBatch(writer, await writer.Connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false));

    public void Add(string sql, params (string Name, object Value)[] parameters) => _statements.Add((sql, parameters));

    /// <summary>Runs every statement added so far, in order, in the transaction; returns the rows each one affected.</summary>
    public Task<int[]> ExecuteAsync(CancellationToken cancellationToken) => RunAsync(commit: false, cancellationToken);

    /// <summary>Runs every statement added so far, then commits; returns the rows each statement affected.</summary>
    public Task<int[]> CommitAsync(CancellationToken cancellationToken) => RunAsync(commit: true, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null)
        {
            await _transaction.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<int[]> RunAsync(bool commit, CancellationToken cancellationToken)
    {
        if (_committed)
        {
            throw new InvalidOperationException("The transaction is already committed.");
        }

        var affected = new int[_statements.Count];
        if (_transaction is null)
        {
            await RunBatchAsync(commit, affected, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            for (var i = 0; i < _statements.Count; i++)
            {
                var (sql, parameters) = _statements[i];
                affected[i] = await _writer.ExecuteAsync(sql, _transaction, parameters, cancellationToken).ConfigureAwait(false);
            }

            if (commit)
            {
                await _transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        _statements.Clear();
        _committed = commit;
        return affected;
    }

    private async Task RunBatchAsync(bool commit, int[] affected, CancellationToken cancellationToken)
    {
        if (_statements.Count == 0 && (!commit || !_begun))
        {
            // Nothing to run; a commit of a transaction the server has not yet seen begin has nothing to commit.
            return;
        }

        var batch = _writer.Batch();
        var first = 0;
        if (!_begun)
        {
            _writer.AddToBatch(BeginSql, []);
            first = 1;
        }

        foreach (var (sql, parameters) in _statements)
        {
            _writer.AddToBatch(sql, parameters);
        }

        if (commit)
        {
            _writer.AddToBatch(CommitSql, []);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        _begun = true;
        for (var i = 0; i < affected.Length; i++)
        {
            affected[i] = batch.BatchCommands[first + i].RecordsAffected;
        }
    }
}
