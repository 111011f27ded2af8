using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// The appliance's database, opened and migrated: the one writer (<see cref="Writer"/>, group commit), the read
/// connections (<see cref="Reads"/>) and the upstream log (<see cref="Outbox"/>). Every feature store works over
/// these; none opens a connection of its own. Opening it is all a process needs to use a data directory, whether
/// it serves devices or runs an operator command beside the service.
/// </summary>
public sealed class EdgeStorage : IAsyncDisposable
{
    private EdgeStorage(string dataDirectory, SQLiteConnection writerConnection)
    {
        DataDirectory = dataDirectory;
        Writer = new GroupCommitWriter(writerConnection);
        Reads = new ReadPool(dataDirectory);
        Outbox = new Outbox(Writer, Reads, writerConnection);
    }

    public string DataDirectory { get; }

    public GroupCommitWriter Writer { get; }

    public ReadPool Reads { get; }

    public Outbox Outbox { get; }

    /// <summary>Opens (creating and migrating when needed) the database in <paramref name="dataDirectory"/>.</summary>
    public static EdgeStorage Open(string dataDirectory)
    {
        var connection = EdgeDatabase.Open(dataDirectory);
        try
        {
            EdgeDatabase.Migrate(connection);
            // The writer touches a few pages of every device it serves; with SQLite's default 2 MiB cache a site's
            // device rows are read back from the file on most check-ins. 32 MiB holds them for thousands of devices.
            connection.ExecuteScalar<long>("PRAGMA cache_size=-32768");
            // Each writer unit runs in a savepoint, and SQLite keeps a copy of every page a savepoint changes (the
            // sub-journal) so that the unit alone can roll back. Past 64 KiB that copy went to a temporary file: about
            // twenty pwrite calls per woken device's check-in, four times the WAL's own. In memory it is a copy, dropped
            // when the unit is released. Only on the writer: reads keep their temporary sorts on disk.
            connection.Execute("PRAGMA temp_store=MEMORY");
            return new EdgeStorage(dataDirectory, connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Shorthand for a write in the next group transaction; completes after COMMIT.</summary>
    public Task<T> WriteAsync<T>(Func<UnitOfWork, T> work) => Writer.WriteAsync(work);

    /// <summary>Shorthand for a read on a pooled connection, which sees the last committed state.</summary>
    public T Read<T>(Func<SQLiteConnection, T> query) => Reads.Read(query);

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync();
        Reads.Dispose();
    }
}

public static class StorageRegistration
{
    /// <summary>The Data Protection key ring of the appliance serving <paramref name="dataDir"/>.</summary>
    public static string KeysDirectory(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), "keys");

    /// <summary>
    /// The database in <c>Edge:DataDir</c>, opened and migrated on first use and closed with the container, and the
    /// readiness checks of storage: the database itself, and free space above <c>Edge:StorageFloorBytes</c>.
    /// </summary>
    public static IServiceCollection AddEdgeStorage(this IServiceCollection services)
    {
        services.AddSingleton(sp => EdgeStorage.Open(Path.GetFullPath(sp.GetRequiredService<IOptions<EdgeOptions>>().Value.DataDir)));
        // Keys for secrets at rest (and whatever ASP.NET Core protects) stay with the site's data, not in a home directory.
        services.AddDataProtection();
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<EdgeOptions>, ILoggerFactory>((keys, edge, logs) =>
            keys.XmlRepository = new OwnerOnlyXmlRepository(new DirectoryInfo(KeysDirectory(edge.Value.DataDir)), logs));
        services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("database", tags: [HealthTags.Ready])
            .Add(new HealthCheckRegistration(
                "disk",
                sp =>
                {
                    var options = sp.GetRequiredService<IOptions<EdgeOptions>>().Value;
                    return new DiskSpaceHealthCheck(options.DataDir, options.StorageFloorBytes);
                },
                failureStatus: null,
                tags: [HealthTags.Ready]));
        return services;
    }
}
