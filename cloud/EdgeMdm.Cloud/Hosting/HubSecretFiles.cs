using EdgeMdm.Cloud.Storage;
using EdgeMdm.ServiceDefaults.OwnerOnly;

namespace EdgeMdm.Cloud.Hosting;

/// <summary>
/// The hub's files that hold secrets, checked before it opens its database: a SQLite database (and the -wal and -shm
/// beside it), the data directory <c>--database</c> names (when it names one: the hub makes it 0700, and a file or a
/// connection string may sit in a directory that is not the hub's), the Data Protection key ring, and the private key of
/// its TLS certificate (<c>--tls-key</c>, or the certificate file itself when no key file is given: a PFX, or a PEM with
/// the key in it). One that other accounts may read stops the start (<see cref="TooOpenFileException"/>, naming each and
/// its <c>chmod</c>); what does not exist yet passes, since the hub creates it owner-only. With PostgreSQL the rows are
/// the database server's to protect. Composition, not storage plumbing: it reads the hub's options.
/// </summary>
public static class HubSecretFiles
{
    public static void Require(HubOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = HubOptions.ConnectionStringFor(options.Database);
        var database = HubStorage.IsPostgres(connectionString) ? [] : DatabaseFiles(HubStorage.SqlitePath(connectionString));
        OwnerOnlyFiles.RequireOwnerOnly(database
            .Concat(DataDirectory(connectionString))
            .Concat(OwnerOnlyXmlRepository.PathsIn(HubOptions.KeysDirectoryFor(options)))
            .Concat(TlsKey(configuration)));
    }

    /// <summary>The directory <see cref="HubOptions.ConnectionStringFor"/> made of a <c>--database</c> that names one.</summary>
    private static string[] DataDirectory(string connectionString) =>
        Path.EndsInDirectorySeparator(connectionString) ? [Path.TrimEndingDirectorySeparator(connectionString)] : [];

    private static string[] TlsKey(IConfiguration configuration)
    {
        var keyFile = configuration[HubOptions.CertificateKeyPathKey] is { Length: > 0 } key ? key : configuration[HubOptions.CertificatePathKey];
        return string.IsNullOrWhiteSpace(keyFile) ? [] : [Path.GetFullPath(keyFile)];
    }

    private static string[] DatabaseFiles(string path)
    {
        var full = Path.GetFullPath(path);
        return [full, full + "-wal", full + "-shm"];
    }
}
