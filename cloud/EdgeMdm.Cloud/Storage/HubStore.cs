using EdgeMdm.Cloud.Storage.Postgres;
using EdgeMdm.Cloud.Storage.Sqlite;

namespace EdgeMdm.Cloud.Storage;

public static class HubStore
{
    /// <summary>
    /// Opens the store named by <paramref name="connectionString"/> and brings its schema up to date:
    /// PostgreSQL for an Npgsql connection string (one with <c>Host=</c>), otherwise SQLite, given as
    /// <c>Data Source=PATH</c> or a bare path; a path that is a directory (or ends with a separator) holds
    /// <c>cloud.db</c>.
    /// </summary>
    public static async Task<SqlHubStore> OpenAsync(string connectionString, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(time);
        var db = await OpenDatabaseAsync(connectionString, cancellationToken);
        try
        {
            await SchemaMigrator.MigrateAsync(db, cancellationToken);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }

        return new SqlHubStore(db, time);
    }

    /// <summary>The backend named by the connection string, its schema left as it is.</summary>
    internal static async Task<IHubDatabase> OpenDatabaseAsync(string connectionString, CancellationToken cancellationToken = default) =>
        IsPostgres(connectionString)
            ? await PostgresHubDatabase.OpenAsync(connectionString, cancellationToken)
            : SqliteHubDatabase.Open(SqlitePath(connectionString));

    internal static bool IsPostgres(string connectionString) =>
        connectionString.Split(';').Any(part => part.Trim().StartsWith("Host=", StringComparison.OrdinalIgnoreCase));

    internal static string SqlitePath(string connectionString)
    {
        const string DataSource = "Data Source=";
        var path = connectionString.Trim();
        if (path.StartsWith(DataSource, StringComparison.OrdinalIgnoreCase))
            path = path[DataSource.Length..].Split(';')[0].Trim();
        return Directory.Exists(path) || path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar)
            ? Path.Combine(path, "cloud.db")
            : path;
    }
}
