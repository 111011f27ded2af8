using EdgeMdm.Cloud.Storage;
using EdgeMdm.ServiceDefaults.OwnerOnly;

namespace EdgeMdm.Cloud.Hosting;

/// <summary>
/// The hub's files that hold secrets, checked before it opens its database: a SQLite database (and the -wal and -shm
/// beside it) and the Data Protection key ring. One that other accounts may read stops the start
/// (<see cref="TooOpenFileException"/>, naming each and its <c>chmod</c>); what does not exist yet passes, since the hub
/// creates it owner-only. With PostgreSQL the rows are the database server's to protect. Composition, not storage
/// plumbing: it reads the hub's options.
/// </summary>
public static class HubSecretFiles
{
    public static void Require(HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var connectionString = HubOptions.ConnectionStringFor(options.Database);
        var database = HubStorage.IsPostgres(connectionString) ? [] : DatabaseFiles(HubStorage.SqlitePath(connectionString));
        OwnerOnlyFiles.RequireOwnerOnly(database.Concat(OwnerOnlyXmlRepository.PathsIn(HubOptions.KeysDirectoryFor(options))));
    }

    private static string[] DatabaseFiles(string path)
    {
        var full = Path.GetFullPath(path);
        return [full, full + "-wal", full + "-shm"];
    }
}
