using EdgeMdm.Domain.Schema;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// The appliance's SQLite file: how connections are opened and how the schema is brought up to date.
/// Every connection runs in WAL mode with <c>synchronous=FULL</c>, so a transaction that returned from
/// COMMIT survives SIGKILL and power loss; throughput comes from group commit (<see cref="GroupCommitWriter"/>),
/// never from weaker durability.
/// </summary>
public static class EdgeDatabase
{
    public const string FileName = "edge.db";

    /// <summary>How long a writer waits for another process (an operator CLI) holding the write lock.</summary>
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    /// <summary>The database and the files SQLite keeps beside it while it is open, each holding its rows.</summary>
    public static IEnumerable<string> FilesIn(string dataDirectory) =>
        [PathIn(dataDirectory), PathIn(dataDirectory) + "-wal", PathIn(dataDirectory) + "-shm"];

    public static SQLiteConnection Open(string dataDirectory)
    {
        // Owner-only from the first byte: SQLite gives the -wal and -shm files the database file's mode.
        OwnerOnlyFiles.CreateEmptyIfMissing(PathIn(dataDirectory));
        var connection = new SQLiteConnection(new SQLiteConnectionString(
            PathIn(dataDirectory),
            // No mutex inside SQLite: a connection is only ever used by one thread at a time (the writer's own
            // thread, or one borrower of the read pool), and the lock on every call showed in the writer's profile.
            SQLiteOpenFlags.ReadWrite | SQLiteOpenFlags.Create | SQLiteOpenFlags.NoMutex,
            storeDateTimeAsTicks: false));
        try
        {
            connection.BusyTimeout = BusyTimeout;
            var mode = connection.ExecuteScalar<string>("PRAGMA journal_mode=WAL");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"SQLite refused WAL mode (got '{mode}') for {PathIn(dataDirectory)}");
            connection.ExecuteScalar<long>("PRAGMA synchronous=FULL");
            connection.ExecuteScalar<long>("PRAGMA foreign_keys=ON");
            // After a burst the WAL is reused from its start; this trims the file back instead of keeping its peak.
            connection.ExecuteScalar<long>("PRAGMA journal_size_limit=67108864");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Applies every numbered migration not yet recorded, all of them in one immediate transaction: a power cut or a
    /// failing statement during an upgrade leaves the schema the old version left, never a level in between (SQLite's
    /// DDL is transactional). Taking the write lock first also means two processes opening the same directory at
    /// once (the service and an operator CLI) cannot both apply one.
    /// </summary>
    public static void Migrate(SQLiteConnection connection) => Migrate(connection, Migrations.All);

    /// <summary>Applies those of <paramref name="migrations"/> not yet recorded, in one transaction (tests give their own).</summary>
    internal static void Migrate(SQLiteConnection connection, IReadOnlyList<Migration> migrations)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Execute("BEGIN IMMEDIATE");
        try
        {
            connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
            var applied = connection.QueryScalars<long>("SELECT version FROM schema_migrations").ToHashSet();
            var appliedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
            {
                foreach (var statement in migration.Statements)
                    connection.Execute(statement);
                connection.Execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", migration.Version, migration.Name, appliedAt);
            }

            connection.Execute("COMMIT");
        }
        catch
        {
            connection.Execute("ROLLBACK");
            throw;
        }
    }

    public static int SchemaVersion(SQLiteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return (int)connection.ExecuteScalar<long>("SELECT coalesce(max(version), 0) FROM schema_migrations");
    }
}
