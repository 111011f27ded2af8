using EdgeMdm.ServiceDefaults.OwnerOnly;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace EdgeMdm.Cloud.Storage;

/// <summary>
/// The hub's Data Protection key ring: what protects staging plans' secrets at rest (<c>Staging/StagingPlanProtection</c>)
/// and the framework's own tokens. Where it lives is <c>Options/HubOptions.KeysDirectoryFor</c> (beside a SQLite
/// database; with PostgreSQL in the blob directory every replica shares).
/// </summary>
public static class HubKeyRing
{
    /// <summary>The application name, not the install path (the default), decides which keys a replica reads.</summary>
    public static IServiceCollection AddHubDataProtection(this IServiceCollection services, string keysDirectory)
    {
        services.AddDataProtection().SetApplicationName("edgemdm-cloud");
        // The framework's file system repository with owner-only modes (directory 0700, key files 0600).
        services.AddOptions<KeyManagementOptions>().Configure<ILoggerFactory>((keys, logs) =>
            keys.XmlRepository = new OwnerOnlyXmlRepository(new DirectoryInfo(keysDirectory), logs));
        return services;
    }

    /// <summary>
    /// The keys directory of the hub run with default settings over this database: <c>keys</c> beside a SQLite file;
    /// with PostgreSQL <c>./data/cloud/blobs/keys</c> (the default blob directory), as <c>HubOptions.KeysDirectoryFor</c> says.
    /// </summary>
    internal static string DefaultKeysDirectory(string connectionString) =>
        HubStorage.IsPostgres(connectionString)
            ? Path.GetFullPath(Path.Combine("data", "cloud", "blobs", "keys"))
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(HubStorage.SqlitePath(connectionString)))!, "keys");
}
