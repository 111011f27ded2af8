using EdgeMdm.Cloud.Storage.Postgres;
using EdgeMdm.Cloud.Storage.Sqlite;

namespace EdgeMdm.Cloud.Storage;

// The hub's storage. Each feature folder owns its narrow store interfaces and their SQL (nanomdm's
// storage.go), written once over the IHubDatabase here for both backends. Every store method is one database
// transaction and holds no state in memory between calls, so any number of hub replicas may share one
// PostgreSQL database: what must not race is serialised by row locks (the site's row for its log and feed, the
// catalog row for writes fanned out to every site, HubLocks) and unique keys, never by memory. A write that
// touches another feature's tables hands that feature its HubSession, so it stays one transaction.
//
// Central IT's view is per tenant: every method that serves it takes the caller's tenant id first and acts
// only on that tenant's records. A site, blueprint, command or device of another tenant is treated exactly
// as one that does not exist. The sync side (upstream log, feed, site credentials) is keyed by site id,
// which is unique across the hub.

/// <summary>Opens the hub's database and registers it for the feature stores.</summary>
public static class HubStorage
{
    /// <summary>
    /// Opens the database named by <paramref name="connectionString"/> (see <see cref="OpenDatabaseAsync"/>), brings
    /// its schema up to date and registers it; the container owns it and disposes it.
    /// </summary>
    public static async Task<IServiceCollection> AddHubStorageAsync(this IServiceCollection services, string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
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

        // Registered through a factory so that the container owns it and disposes it with the host.
        services.AddSingleton(_ => db);
        return services;
    }

    /// <summary>
    /// The stores that <paramref name="addFeatures"/> registers (<c>s => s.AddTenants().AddAccounts()</c>) over
    /// the database, for a process that is not the hub (the operator's CLI, tests) and so works while the hub runs
    /// on the same database. Disposing the provider closes the database.
    /// </summary>
    public static async Task<ServiceProvider> OpenAsync(
        string connectionString, TimeProvider time, Action<IServiceCollection> addFeatures, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(addFeatures);
        var services = new ServiceCollection();
        await services.AddHubStorageAsync(connectionString, cancellationToken);
        services.AddSingleton(time);
        // The key ring's repository logs through the framework's logging: none is configured here, but it must exist.
        services.AddLogging();
        // The key ring the hub itself uses for this database with default settings (beside a SQLite file; with
        // PostgreSQL in the default blob directory), so a store opened here reads what the hub protected.
        services.AddHubDataProtection(HubKeyRing.DefaultKeysDirectory(connectionString));
        addFeatures(services);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// The backend named by the connection string, its schema left as it is: PostgreSQL for an Npgsql connection
    /// string (one with <c>Host=</c>), otherwise SQLite, given as <c>Data Source=PATH</c> or a bare path; a path that
    /// is a directory (or ends with a separator) holds <c>cloud.db</c>.
    /// </summary>
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
