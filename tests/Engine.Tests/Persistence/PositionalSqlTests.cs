using Messaging.Engine.Persistence.Postgres;
using Messaging.Engine.Persistence.Sql;
using Messaging.Testing;
using Npgsql;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>Named placeholders numbered once per text for PostgreSQL, only where that is plainly safe.</summary>
public sealed class PositionalSqlTests
{
    [Fact]
    public void Placeholders_are_numbered_by_their_parameters_place_and_a_repeated_one_keeps_its_number()
    {
        var rewrite = PositionalSql.Parse("UPDATE t SET a = @a, b = @b WHERE id = @id AND a <> @a", ["@id", "@a", "@b"]);

        Assert.Equal("UPDATE t SET a = $2, b = $3 WHERE id = $1 AND a <> $2", rewrite!.Text);
    }

    [Fact]
    public void Literals_quoted_names_and_comments_are_left_as_they_are()
    {
        const string Sql = """
            -- by @nobody
            SELECT 'mail @host', 'it''s @x', "col@x" /* @y */ FROM t WHERE id = @id
            """;

        var rewrite = PositionalSql.Parse(Sql, ["@id"]);

        Assert.Equal(Sql.Replace("id = @id", "id = $1", StringComparison.Ordinal), rewrite!.Text);
    }

    [Theory]
    [InlineData("SELECT 1 FROM t WHERE id = @id; SELECT 2 FROM t WHERE id = @id")]
    [InlineData("SELECT 1 FROM t WHERE id = @other")]
    [InlineData("SELECT 1 FROM t WHERE id = @id AND tag = $$@id$$")]
    [InlineData("SELECT 1 FROM t WHERE id = @id AND note = 'open")]
    public void A_text_that_is_not_plainly_one_statement_with_its_parameters_stays_named(string sql)
    {
        Assert.Null(PositionalSql.Parse(sql, ["@id"]));
    }

    [Fact]
    public void A_parameter_the_text_never_uses_keeps_it_named()
    {
        Assert.Null(PositionalSql.Parse("SELECT 1 FROM t WHERE id = @id", ["@id", "@unused"]));
    }

    [Fact]
    public void The_same_text_with_its_parameters_in_another_order_is_not_given_the_first_numbering()
    {
        var sql = $"SELECT 1 FROM t WHERE a = @a AND b = @b -- {Guid.NewGuid():N}";

        Assert.Equal(sql.Replace("@a AND b = @b", "$1 AND b = $2", StringComparison.Ordinal), PositionalSql.For(sql, [("@a", 1), ("@b", 2)]));
        Assert.Null(PositionalSql.For(sql, [("@b", 2), ("@a", 1)]));
        Assert.Null(PositionalSql.For(sql, [("@a", 1)]));
    }
}

/// <summary>Statements batched with positional placeholders store on a real PostgreSQL server what named ones stored.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresPositionalStatementTests(PostgresServer server)
{
    [Fact]
    public async Task Batches_of_rewritten_and_named_statements_on_kept_commands_store_every_value_nulls_included()
    {
        await using var dialect = new PostgresDialect(await server.CreateDatabaseAsync());
        await using var connection = new PreparedConnection(await dialect.OpenAsync(forWrite: true, CancellationToken.None));
        await using (var create = connection.Connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t (id TEXT PRIMARY KEY, note TEXT, n BIGINT, bytes BYTEA)";
            await create.ExecuteNonQueryAsync();
        }

        const string Insert = "INSERT INTO t (id, note, n, bytes) VALUES (@id, @note, @n, @bytes)";
        // Dollar quoting is not rewritten: this one stays named, and Npgsql numbers it as before.
        const string DollarQuoted = "UPDATE t SET note = $$was @note$$, n = n + 1 WHERE id = @id";
        Assert.NotNull(PositionalSql.For(Insert, [("@id", ""), ("@note", ""), ("@n", 0L), ("@bytes", Array.Empty<byte>())]));
        Assert.Null(PositionalSql.For(DollarQuoted, [("@id", "")]));

        await using (var batch = await StatementBatch.BeginAsync(connection, CancellationToken.None))
        {
            batch.Add(Insert, ("@id", "a"), ("@note", "mail @host"), ("@n", 41L), ("@bytes", new byte[] { 1, 2 }));
            batch.Add(Insert, ("@id", "b"), ("@note", DBNull.Value), ("@n", DBNull.Value), ("@bytes", DBNull.Value));
            batch.Add(DollarQuoted, ("@id", "a"));
            batch.Add("UPDATE t SET n = 0 WHERE id = @id", ("@id", "missing"));
            var first = await batch.ExecuteAsync(CancellationToken.None);
            Assert.Equal([1, 1, 1, 0], first);

            // The connection's commands again, with other values, nulls where there were none and the other way round.
            batch.Add(Insert, ("@id", "c"), ("@note", DBNull.Value), ("@n", DBNull.Value), ("@bytes", DBNull.Value));
            batch.Add(Insert, ("@id", "d"), ("@note", "second"), ("@n", 7L), ("@bytes", new byte[] { 3 }));
            batch.Add(Insert, ("@id", "e"), ("@note", "third"), ("@n", 8L), ("@bytes", Array.Empty<byte>()));
            batch.Add("UPDATE t SET n = 0 WHERE id = @id", ("@id", "c"));
            var second = await batch.CommitAsync(CancellationToken.None);
            Assert.Equal([1, 1, 1, 1], second);
        }

        var rows = new List<string>();
        var read = connection.Command("SELECT id, note, n, bytes FROM t WHERE id <> @id ORDER BY id", null, [("@id", "none")]);
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add(string.Join('|', Enumerable.Range(0, 4).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i) is byte[] b ? Convert.ToHexString(b) : reader.GetValue(i).ToString())));
            }
        }

        Assert.Equal(["a|was @note|42|0102", "b|null|null|null", "c|null|0|null", "d|second|7|03", "e|third|8|"], rows);
    }

    [Fact]
    public async Task A_statement_failing_in_the_committing_batch_leaves_nothing_of_the_transaction_and_the_pooled_connection_works_on()
    {
        await using var dialect = new PostgresDialect(await server.CreateDatabaseAsync());
        await CreateTableAsync(dialect);

        var connection = new PreparedConnection(await dialect.OpenAsync(forWrite: true, CancellationToken.None));
        var batch = await StatementBatch.BeginAsync(connection, CancellationToken.None);
        batch.Add(Insert, ("@id", "guarded"));
        Assert.Equal(new[] { 1 }, await batch.ExecuteAsync(CancellationToken.None));
        batch.Add(Insert, ("@id", "fine"));
        batch.Add(Insert, ("@id", "guarded"));
        await Assert.ThrowsAsync<PostgresException>(() => batch.CommitAsync(CancellationToken.None));
        // As the journal's writer does after any failure: the connection goes, back to the pool.
        await batch.DisposeAsync();
        await connection.DisposeAsync();

        Assert.Empty(await IdsAsync(dialect));
        await using var again = new PreparedConnection(await dialect.OpenAsync(forWrite: true, CancellationToken.None));
        await using (var next = await StatementBatch.BeginAsync(again, CancellationToken.None))
        {
            next.Add(Insert, ("@id", "after"));
            Assert.Equal(new[] { 1 }, await next.CommitAsync(CancellationToken.None));
        }

        Assert.Equal(["after"], await IdsAsync(dialect));
    }

    [Fact]
    public async Task One_committing_batch_is_all_or_nothing_and_a_commit_with_nothing_left_keeps_what_ran_before()
    {
        await using var dialect = new PostgresDialect(await server.CreateDatabaseAsync());
        await CreateTableAsync(dialect);
        await using (var connection = new PreparedConnection(await dialect.OpenAsync(forWrite: true, CancellationToken.None)))
        {
            await using var batch = await StatementBatch.BeginAsync(connection, CancellationToken.None);
            batch.Add(Insert, ("@id", "x"));
            batch.Add(Insert, ("@id", "x"));
            await Assert.ThrowsAsync<PostgresException>(() => batch.CommitAsync(CancellationToken.None));
        }

        Assert.Empty(await IdsAsync(dialect));
        await using (var connection = new PreparedConnection(await dialect.OpenAsync(forWrite: true, CancellationToken.None)))
        {
            await using var batch = await StatementBatch.BeginAsync(connection, CancellationToken.None);
            batch.Add(Insert, ("@id", "kept"));
            Assert.Equal(new[] { 1 }, await batch.ExecuteAsync(CancellationToken.None));
            Assert.Empty(await batch.CommitAsync(CancellationToken.None));
        }

        Assert.Equal(["kept"], await IdsAsync(dialect));
    }

    private const string Insert = "INSERT INTO u (id) VALUES (@id)";

    private static async Task CreateTableAsync(PostgresDialect dialect)
    {
        await using var connection = await dialect.OpenAsync(forWrite: true, CancellationToken.None);
        await using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE u (id TEXT PRIMARY KEY)";
        await create.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> IdsAsync(PostgresDialect dialect)
    {
        await using var connection = await dialect.OpenAsync(forWrite: false, CancellationToken.None);
        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT id FROM u ORDER BY id";
        var ids = new List<string>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
