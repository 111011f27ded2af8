using EdgeMdm.ServiceDefaults;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using Polly;
using SQLite;
using SQLitePCL;

namespace EdgeMdm.Cloud.Storage.Sqlite;

/// <summary>
/// The embedded backend: one SQLite file in WAL mode with <c>synchronous=FULL</c> (a committed transaction
/// survives power loss). Each transaction opens its own connection; a write transaction begins IMMEDIATE,
/// taking the file's single write lock at once, which is what serialises writers, also across processes. The lock still
/// held by another writer after <see cref="BusyTimeout"/>, or a full disk, leaves here as the host's storage fault
/// (<see cref="SqliteFaults"/>), answered as "retry later" rather than as a bug.
/// </summary>
internal sealed class SqliteHubDatabase : IHubDatabase
{
    /// <summary>How long a writer waits for another holding the write lock before failing.</summary>
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The WAL switch's retry (<see cref="EnableWal"/>), on the one pipeline every retry uses: from 10 ms, doubling
    /// to at most 1 s a wait, 40 tries in all, which is about <see cref="BusyTimeout"/>, the wait a writer is granted.
    /// </summary>
    private static readonly ResiliencePipeline WalRetry = Retries.Bounded(
        attempts: 40,
        first: TimeSpan.FromMilliseconds(10),
        max: TimeSpan.FromSeconds(1),
        TimeProvider.System,
        exception => exception is SQLiteException { Result: SQLite3.Result.Busy });

    private readonly string _path;

    private SqliteHubDatabase(string path) => _path = path;

    public string ForUpdate => "";

    public string Backend => "Sqlite";

    public string? MigrationLock => null;

    public static SqliteHubDatabase Open(string path)
    {
        // Owner-only from the first byte (directory 0700 when made here, file 0600): SQLite gives the -wal and -shm
        // files the database file's mode.
        OwnerOnlyFiles.CreateEmptyIfMissing(path);
        return new SqliteHubDatabase(path);
    }

    public async Task<HubSession> BeginAsync(bool write, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connection = new SQLiteConnection(new SQLiteConnectionString(
            _path, SQLiteOpenFlags.ReadWrite | SQLiteOpenFlags.Create | SQLiteOpenFlags.FullMutex, storeDateTimeAsTicks: false));
        try
        {
            connection.BusyTimeout = BusyTimeout;
            await WalRetry.ExecuteAsync(static (state, _) => EnableWal(state.Connection, state.Path), (Connection: connection, Path: _path), cancellationToken);
            connection.ExecuteScalar<long>("PRAGMA synchronous=FULL");
            connection.ExecuteScalar<long>("PRAGMA foreign_keys=ON");
            connection.Execute(write ? "BEGIN IMMEDIATE" : "BEGIN");
            return new Session(connection);
        }
        catch (Exception exception)
        {
            connection.Dispose();
            if (exception is SQLiteException sqlite && SqliteFaults.Translate(sqlite) is { } fault)
                throw fault;
            throw;
        }
    }

    /// <summary>
    /// Turning a new file to WAL needs it alone for a moment, and SQLite answers that step with BUSY at once instead of
    /// calling the busy handler; replicas starting together on one new file retry it. (On a file already in WAL mode
    /// the pragma takes no lock and answers at once.)
    /// </summary>
    private static ValueTask EnableWal(SQLiteConnection connection, string path)
    {
        var mode = connection.ExecuteScalar<string>("PRAGMA journal_mode=WAL");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite refused WAL mode (got '{mode}') for {path}");
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Statements run through SQLitePCL directly: sqlite-net maps rows to classes, we want plain values.</summary>
    private sealed class Session(SQLiteConnection connection) : HubSession
    {
        private bool _done;

        public override Task<int> ExecuteAsync(string sql, params object?[] args)
        {
            Run(sql, args, rows: null);
            return Task.FromResult(raw.sqlite3_changes(connection.Handle));
        }

        public override Task<List<Row>> QueryAsync(string sql, params object?[] args)
        {
            var rows = new List<Row>();
            Run(sql, args, rows);
            return Task.FromResult(rows);
        }

        public override Task CommitAsync()
        {
            try
            {
                connection.Execute("COMMIT");
            }
            catch (SQLiteException exception)
            {
                // Still open: disposing rolls it back.
                if (SqliteFaults.Translate(exception) is { } fault)
                    throw fault;
                throw;
            }

            _done = true;
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync()
        {
            try
            {
                if (!_done)
                    connection.Execute("ROLLBACK");
            }
            finally
            {
                connection.Dispose();
            }

            return ValueTask.CompletedTask;
        }

        private void Run(string sql, object?[] args, List<Row>? rows)
        {
            var db = connection.Handle;
            Check(raw.sqlite3_prepare_v2(db, sql, out sqlite3_stmt statement), sql);
            using (statement)
            {
                for (var i = 0; i < args.Length; i++)
                    Check(Bind(statement, i + 1, args[i]), sql);
                int rc;
                while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                    rows?.Add(Read(statement));
                Check(rc, sql);
            }
        }

        private static int Bind(sqlite3_stmt statement, int index, object? value) => value switch
        {
            null => raw.sqlite3_bind_null(statement, index),
            string text => raw.sqlite3_bind_text(statement, index, text),
            bool b => raw.sqlite3_bind_int64(statement, index, b ? 1 : 0),
            byte[] bytes => raw.sqlite3_bind_blob(statement, index, bytes),
            ulong u => raw.sqlite3_bind_int64(statement, index, checked((long)u)),
            IConvertible number => raw.sqlite3_bind_int64(statement, index, number.ToInt64(System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"cannot bind a {value.GetType().Name}", nameof(value)),
        };

        private static Row Read(sqlite3_stmt statement)
        {
            var values = new object?[raw.sqlite3_column_count(statement)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = raw.sqlite3_column_type(statement, i) switch
                {
                    raw.SQLITE_NULL => null,
                    raw.SQLITE_INTEGER => raw.sqlite3_column_int64(statement, i),
                    raw.SQLITE_BLOB => raw.sqlite3_column_blob(statement, i).ToArray(),
                    _ => raw.sqlite3_column_text(statement, i).utf8_to_string(),
                };
            }

            return new Row(values);
        }

        private void Check(int rc, string sql)
        {
            if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
            {
                var error = SQLiteException.New((SQLite3.Result)rc, $"{raw.sqlite3_errmsg(connection.Handle).utf8_to_string()} ({sql})");
                throw SqliteFaults.Translate(error) ?? error;
            }
        }
    }
}

/// <summary>
/// Which of SQLite's failures mean "the database cannot serve right now, retry later" (<see cref="StoreUnavailableException"/>:
/// BUSY or LOCKED, which reach the hub only once the busy timeout has run out) or "its disk is full"
/// (<see cref="StorageFullException"/>); anything else is a bug and stays as thrown.
/// </summary>
internal static class SqliteFaults
{
    /// <summary>The fault <paramref name="exception"/> is (it the inner exception), or null for one to let through as it is.</summary>
    public static Exception? Translate(SQLiteException exception) => PrimaryResult(exception) switch
    {
        SQLite3.Result.Busy or SQLite3.Result.Locked => new StoreUnavailableException("the database stayed locked by another writer past its busy timeout", exception),
        SQLite3.Result.Full => new StorageFullException("the disk holding the hub's database is full: " + exception.Message, exception),
        _ => null,
    };

    // An extended result code (SQLITE_BUSY_SNAPSHOT is 517) carries its primary one in the low byte.
    private static SQLite3.Result PrimaryResult(SQLiteException exception) => (SQLite3.Result)((int)exception.Result & 0xff);
}
