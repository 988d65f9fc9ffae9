using Messaging.Engine.Persistence.Sqlite;
using Microsoft.Data.Sqlite;

namespace Messaging.Engine.Tests.Persistence;

/// <summary>The group commit's SQLite statements run below the provider's command: they must store what it stores.</summary>
public sealed class SqliteWriteStatementsTests : IDisposable
{
    private const string Insert = "INSERT INTO t (id, text, bytes, number, small) VALUES (@id, @text, @bytes, @number, @small)";

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"write-statements-{Guid.NewGuid():N}.db");
    private readonly SqliteConnection _connection;
    private readonly SqliteWriteStatements _statements;

    public SqliteWriteStatementsTests()
    {
        _connection = new SqliteConnection($"Data Source={_path};Pooling=false");
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (id TEXT PRIMARY KEY, text TEXT, bytes BLOB, number INTEGER, small INTEGER)";
        create.ExecuteNonQuery();
        _statements = new SqliteWriteStatements(_connection);
    }

    [Fact]
    public void Values_are_stored_as_the_providers_command_stores_them_empty_text_and_blobs_not_as_null()
    {
        _statements.Execute(Insert, [("@id", "a"), ("@text", "héllo ✉"), ("@bytes", new byte[] { 1, 2, 3 }), ("@number", long.MaxValue), ("@small", 7)]);
        _statements.Execute(Insert, [("@id", "b"), ("@text", ""), ("@bytes", Array.Empty<byte>()), ("@number", -1L), ("@small", DBNull.Value)]);

        Assert.Equal(("héllo ✉", "010203", long.MaxValue, (object)7L), Row("a"));
        Assert.Equal(("", "", -1L, (object)DBNull.Value), Row("b"));
        Assert.Equal(("text", "blob"), Types("b"));
    }

    [Fact]
    public void Parameters_are_bound_by_name_in_the_order_first_given_and_the_rows_changed_are_counted()
    {
        _statements.Execute(Insert, [("@small", 1), ("@number", 2L), ("@bytes", DBNull.Value), ("@text", "x"), ("@id", "a")]);
        _statements.Execute(Insert, [("@small", 3), ("@number", 2L), ("@bytes", DBNull.Value), ("@text", "y"), ("@id", "b")]);

        Assert.Equal(("x", "", 2L, (object)1L), Row("a"));
        Assert.Equal(("y", "", 2L, (object)3L), Row("b"));
        Assert.Equal(2, _statements.Execute("UPDATE t SET small = @small WHERE number = @number", [("@small", 5), ("@number", 2L)]));
        Assert.Equal(0, _statements.Execute("UPDATE t SET small = @small WHERE number = @number", [("@small", 5), ("@number", 3L)]));

        // Another order for the same text would bind by the first one's places: refused, never bound wrongly.
        Assert.Throws<ArgumentException>(() => _statements.Execute(Insert, [("@id", "c"), ("@text", "z"), ("@bytes", DBNull.Value), ("@number", 1L), ("@small", 1)]));
    }

    [Fact]
    public void A_violated_constraint_is_the_providers_exception_and_the_statement_runs_again_after_it()
    {
        (string, object)[] row = [("@id", "a"), ("@text", "x"), ("@bytes", DBNull.Value), ("@number", 1L), ("@small", 1)];
        _statements.Execute(Insert, row);

        var error = Assert.Throws<SqliteException>(() => _statements.Execute(Insert, row));
        Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.Equal(1, _statements.Execute(Insert, [("@id", "b"), ("@text", "x"), ("@bytes", DBNull.Value), ("@number", 1L), ("@small", 1)]));
    }

    [Fact]
    public void A_statement_given_a_parameter_it_lacks_or_not_given_one_it_has_is_refused_before_it_runs()
    {
        _statements.Execute(Insert, [("@id", "a"), ("@text", "x"), ("@bytes", DBNull.Value), ("@number", 1L), ("@small", 1)]);

        Assert.Throws<ArgumentException>(() => _statements.Execute("DELETE FROM t WHERE id = @id", [("@key", "a")]));
        Assert.Throws<ArgumentException>(() => _statements.Execute("UPDATE t SET text = @text WHERE id = @id", [("@id", "a")]));
        Assert.Equal(("x", "", 1L, (object)1L), Row("a"));
    }

    private (string Text, string Bytes, long Number, object Small) Row(string id)
    {
        using var read = _connection.CreateCommand();
        read.CommandText = "SELECT text, hex(bytes), number, small FROM t WHERE id = @id";
        read.Parameters.AddWithValue("@id", id);
        using var reader = read.ExecuteReader();
        Assert.True(reader.Read());
        return (reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetValue(3));
    }

    private (string Text, string Bytes) Types(string id)
    {
        using var read = _connection.CreateCommand();
        read.CommandText = "SELECT typeof(text), typeof(bytes) FROM t WHERE id = @id";
        read.Parameters.AddWithValue("@id", id);
        using var reader = read.ExecuteReader();
        Assert.True(reader.Read());
        return (reader.GetString(0), reader.GetString(1));
    }

    public void Dispose()
    {
        _statements.Dispose();
        _connection.Dispose();
        File.Delete(_path);
    }
}
