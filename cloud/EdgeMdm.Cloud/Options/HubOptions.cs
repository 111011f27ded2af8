using EdgeMdm.ServiceDefaults.OwnerOnly;

namespace EdgeMdm.Cloud.Options;

/// <summary>
/// The hub's settings, section <c>Cloud</c> of appsettings.json, <c>EDGEMDM_Cloud__*</c> environment
/// variables, or the command line (<c>--database</c>, <c>--rest-url</c>, <c>--grpc-url</c>). Validated at
/// start: a bad value stops the process with one line saying which.
/// </summary>
public sealed class HubOptions
{
    public const string Section = "Cloud";

    /// <summary>Environment variables read: <c>EDGEMDM_Cloud__Database</c> and the like.</summary>
    public const string EnvironmentPrefix = "EDGEMDM_";

    /// <summary>
    /// Where the hub's data lives: an Npgsql connection string (<c>Host=...</c>) for PostgreSQL, or for SQLite
    /// <c>Data Source=FILE</c>, a <c>.db</c> file, or a directory (created when missing) that holds <c>cloud.db</c>.
    /// </summary>
    public string Database { get; set; } = "./data/cloud";

    /// <summary>Where the REST API for central IT (and <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>) listens: HTTP/1.1 and HTTP/2.</summary>
    public string RestUrl { get; set; } = "http://127.0.0.1:9080";

    /// <summary>Where the gRPC sync service listens: HTTP/2 only, so that cleartext gRPC (h2c) works without TLS.</summary>
    public string GrpcUrl { get; set; } = "http://127.0.0.1:9081";

    /// <summary>
    /// Where package files are kept, named by SHA-256. Unset: <c>blobs</c> beside a SQLite database, or
    /// <c>./data/cloud/blobs</c> with PostgreSQL, where it must instead name a directory every replica shares
    /// (an NFS or similar mount): a replica serves a site only the blobs it can read.
    /// </summary>
    public string? BlobDirectory { get; set; }

    /// <summary>Largest package file <c>POST /api/v1/packages</c> accepts (413 beyond); 4 GiB by default.</summary>
    public long MaxPackageBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>
    /// How long a device may stay silent before the rollout report counts it offline rather than pending. The hub
    /// does not know the sites' check-in intervals; set it to about three of them (the sites' own rule). 1 h by default.
    /// </summary>
    public TimeSpan RolloutOfflineAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the hub looks at every current rollout to log a wave opened or advanced, a halt or a finish. 10 s by default.</summary>
    public TimeSpan RolloutWatchInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The least free space the hub needs on the file systems of the SQLite database and of the blob directory: below
    /// it <c>/readyz</c> answers 503 naming the directory, before writes start failing. 64 MiB by default; 0 turns the
    /// checks off in effect.
    /// </summary>
    public long StorageFloorBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How long a device may stay silent (no check-in, no (re)enrollment) before the hub's compliance views call it
    /// stale rather than compliant, non-compliant or unknown (<c>EdgeMdm.Domain.Drift.ComplianceClassifier</c>). 24 h by default.
    /// </summary>
    public TimeSpan DeviceStaleAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Largest REST request body accepted, except package uploads; bigger ones are answered 413.</summary>
    public const int MaxRestBodyBytes = 1024 * 1024;

    /// <summary>Command-line switches and the configuration keys they set.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--database"] = $"{Section}:{nameof(Database)}",
        ["--rest-url"] = $"{Section}:{nameof(RestUrl)}",
        ["--grpc-url"] = $"{Section}:{nameof(GrpcUrl)}",
        ["--blob-directory"] = $"{Section}:{nameof(BlobDirectory)}",
        ["--max-package-bytes"] = $"{Section}:{nameof(MaxPackageBytes)}",
        ["--rollout-offline-after"] = $"{Section}:{nameof(RolloutOfflineAfter)}",
        ["--rollout-watch-interval"] = $"{Section}:{nameof(RolloutWatchInterval)}",
        ["--storage-floor-bytes"] = $"{Section}:{nameof(StorageFloorBytes)}",
        ["--device-stale-after"] = $"{Section}:{nameof(DeviceStaleAfter)}",
        // The framework's own keys: every https endpoint (the gRPC sync one above all) serves this certificate.
        ["--tls-cert"] = CertificatePathKey,
        ["--tls-key"] = CertificateKeyPathKey,
        // The console log's format (ServerLogging): json, systemd or simple.
        [EdgeMdm.ServiceDefaults.ServerLogging.FormatSwitch] = EdgeMdm.ServiceDefaults.ServerLogging.FormatKey,
    };

    /// <summary>Kestrel's default certificate (PEM or PFX file) for https endpoints, <c>--tls-cert</c>.</summary>
    public const string CertificatePathKey = "Kestrel:Certificates:Default:Path";

    /// <summary>Its private key (PEM file) when <see cref="CertificatePathKey"/> is a PEM certificate, <c>--tls-key</c>.</summary>
    public const string CertificateKeyPathKey = "Kestrel:Certificates:Default:KeyPath";

    /// <summary>The blob directory these settings name, as a full path (see <see cref="BlobDirectory"/> for the default).</summary>
    public static string BlobDirectoryFor(HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.BlobDirectory))
            return Path.GetFullPath(options.BlobDirectory);
        var connectionString = ConnectionStringFor(options.Database);
        if (Storage.HubStorage.IsPostgres(connectionString))
            return Path.GetFullPath(Path.Combine("data", "cloud", "blobs"));
        return Path.Combine(SqliteDirectoryFor(connectionString), "blobs");
    }

    /// <summary>
    /// Where the hub keeps its Data Protection keys, never in a home directory: <c>keys</c> beside a SQLite database; with
    /// PostgreSQL <c>keys</c> in the blob directory, the one directory every replica shares (so what one protects,
    /// another reads).
    /// </summary>
    public static string KeysDirectoryFor(HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var connectionString = ConnectionStringFor(options.Database);
        var parent = Storage.HubStorage.IsPostgres(connectionString)
            ? BlobDirectoryFor(options)
            : SqliteDirectoryFor(connectionString);
        return Path.Combine(parent, "keys");
    }

    /// <summary>The directory of the SQLite database <paramref name="connectionString"/> names.</summary>
    public static string SqliteDirectoryFor(string connectionString)
    {
        var databaseFile = Path.GetFullPath(Storage.HubStorage.SqlitePath(connectionString));
        return Path.GetDirectoryName(databaseFile) ?? databaseFile;
    }

    /// <summary>
    /// The connection string <see cref="Storage.HubStorage.AddHubStorageAsync"/> takes for <paramref name="database"/>:
    /// connection strings and files pass as they are; anything else is a directory, created here.
    /// </summary>
    public static string ConnectionStringFor(string database)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        var value = database.Trim();
        var isConnectionString = value.Contains('=', StringComparison.Ordinal);
        var isFile = File.Exists(value)
            || value.EndsWith(".db", StringComparison.OrdinalIgnoreCase)
            || value.EndsWith(".sqlite", StringComparison.OrdinalIgnoreCase);
        if (isConnectionString || isFile)
            return value;
        var directory = Path.GetFullPath(value);
        OwnerOnlyFiles.CreateDirectory(directory);
        return Path.TrimEndingDirectorySeparator(directory) + Path.DirectorySeparatorChar;
    }
}
