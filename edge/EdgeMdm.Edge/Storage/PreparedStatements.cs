using System.Runtime.CompilerServices;
using SQLite;
using SQLitePCL;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// Compiled statements kept per connection for the check-in path. sqlite-net compiles every query anew and
/// maps result columns by name; on the single writer that was half the serial time of a check-in
/// (docs/benchmarks.md). A connection is only ever used by one thread at a time (the writer's own, or one
/// borrower of the read pool), so the cache needs no lock.
/// </summary>
internal static class PreparedStatements
{
    private static readonly ConditionalWeakTable<SQLiteConnection, Dictionary<string, Statement>> Caches = [];

    /// <summary>The compiled form of <paramref name="sql"/> on this connection, reset and ready to bind.</summary>
    public static Statement Prepared(this SQLiteConnection connection, string sql)
    {
        var cache = Caches.GetOrCreateValue(connection);
        if (!cache.TryGetValue(sql, out var statement))
        {
            statement = new Statement(connection, sql);
            cache[sql] = statement;
        }

        statement.Reset();
        return statement;
    }

    /// <summary>Finalizes this connection's statements; call before disposing the connection.</summary>
    public static void Release(SQLiteConnection connection)
    {
        if (!Caches.TryGetValue(connection, out var cache))
            return;
        foreach (var statement in cache.Values)
            statement.Close();
        Caches.Remove(connection);
    }
}

/// <summary>A compiled SQLite statement: bind by position (1-based), step, read columns by position (0-based).</summary>
internal sealed class Statement
{
    private readonly SQLiteConnection _connection;
    private readonly sqlite3_stmt _handle;

    internal Statement(SQLiteConnection connection, string sql)
    {
        _connection = connection;
        var rc = raw.sqlite3_prepare_v2(connection.Handle, sql, out _handle);
        if (rc != raw.SQLITE_OK)
            throw SQLiteException.New((SQLite3.Result)rc, raw.sqlite3_errmsg(connection.Handle).utf8_to_string());
    }

    internal void Close() => raw.sqlite3_finalize(_handle);

    public void Reset()
    {
        raw.sqlite3_reset(_handle);
        raw.sqlite3_clear_bindings(_handle);
    }

    public Statement Bind(int index, string? value)
    {
        Check(value is null ? raw.sqlite3_bind_null(_handle, index) : raw.sqlite3_bind_text(_handle, index, value));
        return this;
    }

    public Statement Bind(int index, long? value)
    {
        Check(value is { } number ? raw.sqlite3_bind_int64(_handle, index, number) : raw.sqlite3_bind_null(_handle, index));
        return this;
    }

    public Statement Bind(int index, byte[] value)
    {
        Check(raw.sqlite3_bind_blob(_handle, index, value));
        return this;
    }

    /// <summary>Advances to the next row; false when there is none.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_handle);
        if (rc == raw.SQLITE_ROW)
            return true;
        if (rc == raw.SQLITE_DONE)
            return false;
        throw SQLiteException.New((SQLite3.Result)rc, raw.sqlite3_errmsg(_connection.Handle).utf8_to_string());
    }

    /// <summary>Runs a statement that returns no rows.</summary>
    public void Execute()
    {
        while (Step())
        {
            // A statement run for its effect may still yield rows (PRAGMA); they are not wanted.
        }
    }

    /// <summary>Runs an INSERT, UPDATE or DELETE; how many rows it changed.</summary>
    public int ExecuteCounted()
    {
        Execute();
        return raw.sqlite3_changes(_connection.Handle);
    }

    /// <summary>Runs a statement that yields one integer (0 when it yields no row or NULL) and resets it.</summary>
    public long Scalar()
    {
        try
        {
            return Step() ? NullableLong(0) ?? 0 : 0;
        }
        finally
        {
            Reset();
        }
    }

    public string Text(int column) => raw.sqlite3_column_text(_handle, column).utf8_to_string();

    public string? NullableText(int column) => IsNull(column) ? null : Text(column);

    public long Long(int column) => raw.sqlite3_column_int64(_handle, column);

    public long? NullableLong(int column) => IsNull(column) ? null : Long(column);

    /// <summary>The column's bytes, copied: SQLite's buffer is valid only until the next step.</summary>
    public byte[] Blob(int column) => raw.sqlite3_column_blob(_handle, column).ToArray();

    private bool IsNull(int column) => raw.sqlite3_column_type(_handle, column) == raw.SQLITE_NULL;

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
            throw SQLiteException.New((SQLite3.Result)rc, raw.sqlite3_errmsg(_connection.Handle).utf8_to_string());
    }
}
