using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Messaging.Engine.Persistence.Sqlite;

/// <summary>
/// The group commit's statements on SQLite, each prepared once on the writer connection and run through SQLitePCLRaw
/// (the native layer Microsoft.Data.Sqlite itself calls): bind, step, reset. Nothing else changes — the same
/// connection, its transaction and its pragmas, and errors raised as Microsoft.Data.Sqlite's own
/// <see cref="SqliteException"/>.
/// </summary>
/// <remarks>
/// Why not the provider's command: for every statement run it makes a data reader and a binder object per parameter,
/// and copies each text parameter to UTF-8 on the managed heap — at three statements and some 50 parameters per
/// email that was a tenth of the engine's allocations (docs/benchmarks.md). Here text is handed to SQLite as UTF-16
/// and numbers and blobs as they are, with no allocation per statement.
/// </remarks>
internal sealed class SqliteWriteStatements(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, Prepared> _prepared = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="sql"/> with <paramref name="parameters"/>, bound by name (given in the same order every time
    /// for one text); returns the rows it changed.
    /// </summary>
    public int Execute(string sql, (string Name, object Value)[] parameters)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("The writer connection is not open.");
        if (!_prepared.TryGetValue(sql, out var prepared))
        {
            prepared = Prepare(db, sql, parameters);
            _prepared.Add(sql, prepared);
        }
        else if (!prepared.Takes(parameters))
        {
            throw new ArgumentException(
                $"The statement was first run with the parameters {string.Join(", ", prepared.Names)}, now with {string.Join(", ", parameters.Select(p => p.Name))}.",
                nameof(parameters));
        }

        var statement = prepared.Statement;
        try
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                Check(db, Bind(statement, prepared.Indexes[i], parameters[i].Value));
            }

            // No busy retry here, unlike the provider's command: the writer's transaction began IMMEDIATE and holds the
            // write lock, so a statement in it never waits for another writer.
            var step = raw.sqlite3_step(statement);
            if (step is not (raw.SQLITE_DONE or raw.SQLITE_ROW))
            {
                Check(db, step);
            }

            return raw.sqlite3_changes(db);
        }
        finally
        {
            // Reset at once: a statement left stepped would keep its read of the database open.
            raw.sqlite3_reset(statement);
        }
    }

    public void Dispose()
    {
        foreach (var prepared in _prepared.Values)
        {
            prepared.Statement.Dispose();
        }

        _prepared.Clear();
    }

    private static Prepared Prepare(sqlite3 db, string sql, (string Name, object Value)[] parameters)
    {
        Check(db, raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement, out var rest));
        if (!string.IsNullOrWhiteSpace(rest))
        {
            statement.Dispose();
            throw new ArgumentException("One statement at a time: the text goes on after the first.", nameof(sql));
        }

        // Every parameter given, and no other: one left out would bind NULL where the provider's command refuses.
        var count = raw.sqlite3_bind_parameter_count(statement);
        if (count != parameters.Length)
        {
            statement.Dispose();
            throw new ArgumentException($"The statement has {count} parameters, {parameters.Length} given.", nameof(parameters));
        }

        var indexes = new int[parameters.Length];
        var names = new string[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            names[i] = parameters[i].Name;
            indexes[i] = raw.sqlite3_bind_parameter_index(statement, names[i]);
            if (indexes[i] == 0)
            {
                statement.Dispose();
                throw new ArgumentException($"The statement has no parameter {names[i]}.", nameof(parameters));
            }
        }

        return new Prepared(statement, names, indexes);
    }

    // An empty span reaches SQLite as a null pointer, which binds NULL: empty text and blobs are bound as such.
    private static int Bind(sqlite3_stmt statement, int index, object? value) => value switch
    {
        null or DBNull => raw.sqlite3_bind_null(statement, index),
        string { Length: 0 } => raw.sqlite3_bind_text(statement, index, string.Empty),
        string text => raw.sqlite3_bind_text16(statement, index, text.AsSpan()),
        long number => raw.sqlite3_bind_int64(statement, index, number),
        int number => raw.sqlite3_bind_int64(statement, index, number),
        bool flag => raw.sqlite3_bind_int64(statement, index, flag ? 1 : 0),
        byte[] { Length: 0 } => raw.sqlite3_bind_zeroblob(statement, index, 0),
        byte[] bytes => raw.sqlite3_bind_blob(statement, index, bytes.AsSpan()),
        double real => raw.sqlite3_bind_double(statement, index, real),
        _ => throw new ArgumentException($"No SQLite binding for a {value.GetType().Name} parameter.", nameof(value)),
    };

    private static void Check(sqlite3 db, int code)
    {
        if (code != raw.SQLITE_OK)
        {
            throw new SqliteException(
                $"SQLite Error {code}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", code, raw.sqlite3_extended_errcode(db));
        }
    }

    /// <summary>A prepared statement and where each parameter, in the order first given, is bound.</summary>
    private sealed record Prepared(sqlite3_stmt Statement, string[] Names, int[] Indexes)
    {
        // Callers give one statement's parameters in one order (the same literals: compared by reference first).
        public bool Takes((string Name, object Value)[] parameters)
        {
            if (parameters.Length != Names.Length)
            {
                return false;
            }

            for (var i = 0; i < Names.Length; i++)
            {
                if (!string.Equals(Names[i], parameters[i].Name, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
