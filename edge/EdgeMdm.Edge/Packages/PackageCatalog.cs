using EdgeMdm.Contracts.Sync;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using EdgeMdm.Edge.Threading;
using SQLite;

namespace EdgeMdm.Edge.Packages;

/// <summary>The hub's package signing key as the site last received it.</summary>
public sealed record PackageSigningKeyRecord(string PublicKeyPem, string KeyId);

/// <summary>
/// The catalog as committed, an immutable snapshot swapped whole on reload so readers never see half of one: every
/// package by sha256, and by (name, version code) the newest published one whose manifest the stored key verifies.
/// </summary>
public sealed record PackageCatalog(
    IReadOnlyDictionary<string, SignedManifest> BySha,
    IReadOnlyDictionary<(string PackageName, long VersionCode), SignedManifest> Verified,
    PackageSigningKeyRecord? Key)
{
    public static readonly PackageCatalog Empty = new(new Dictionary<string, SignedManifest>(StringComparer.Ordinal), new Dictionary<(string, long), SignedManifest>(), null);
}

/// <summary>The package catalog from the hub's feed (tables <c>packages</c>, <c>package_signing_key</c>).</summary>
public interface IPackageCatalog
{
    /// <summary>The catalog as last loaded.</summary>
    PackageCatalog Current { get; }

    /// <summary>Reads the committed catalog again and makes it <see cref="Current"/>.</summary>
    PackageCatalog Reload();

    /// <summary>
    /// Pulsed whenever what the cache should hold may have changed: a package, a blueprint or the key came down
    /// the feed, or a cached file was lost or found tampered with.
    /// </summary>
    ChangeSignal Changed { get; }
}

/// <summary>
/// The packages devices are offered (both ends of every rollout), so what the cache must hold and never evict.
/// Declared here, answered by the feature that decides what devices are declared.
/// </summary>
public interface IPinnedPackages
{
    IReadOnlyList<SignedManifest> PinnedPackages();
}

/// <summary>Stores the catalog's changes from the feed; a reload makes them visible (after the commit).</summary>
internal sealed class PackageCatalogStore(EdgeStorage storage) : IPackageCatalog, IFeedHandler
{
    private volatile PackageCatalog _current = PackageCatalog.Empty;

    public PackageCatalog Current => _current;

    public ChangeSignal Changed { get; } = new();

    public IReadOnlyCollection<HubChange.ChangeOneofCase> Kinds { get; } =
        [HubChange.ChangeOneofCase.PackagePublished, HubChange.ChangeOneofCase.SigningKey];

    public PackageCatalog Reload() => _current = storage.Read(Load);

    public bool Apply(UnitOfWork unit, HubChange change) =>
        change.ChangeCase == HubChange.ChangeOneofCase.PackagePublished
            ? StorePackage(unit.Db, change.PackagePublished, change.AtUnixMs)
            : StoreSigningKey(unit.Db, change.SigningKey, change.AtUnixMs);

    private static PackageCatalog Load(SQLiteConnection db)
    {
        var key = db.Query<SigningKeyRow>("SELECT public_key_pem AS PublicKeyPem, key_id AS KeyId FROM package_signing_key WHERE id = 1")
            .Select(k => new PackageSigningKeyRecord(k.PublicKeyPem, k.KeyId))
            .FirstOrDefault();
        var packages = db.Query<PackageRow>(PackageRow.Select + " ORDER BY published_at, sha256").Select(p => p.ToSignedManifest()).ToList();
        var verifier = key is null ? null : ManifestVerifier.FromPem(key.PublicKeyPem);
        var verified = new Dictionary<(string, long), SignedManifest>();
        foreach (var package in packages.Where(p => verifier?.Verify(p) == true))
            verified[(package.Manifest.PackageName, package.Manifest.VersionCode)] = package;
        return new PackageCatalog(packages.ToDictionary(p => p.Manifest.Sha256, StringComparer.Ordinal), verified, key);
    }

    /// <summary>
    /// Stores a published manifest once, by sha256. One that is not a valid manifest (a sha256 that could not
    /// name a file, a bad package name) is not stored: nothing could ever serve it. Returns whether a row was added.
    /// </summary>
    private static bool StorePackage(SQLiteConnection db, PackagePublished published, long atMs)
    {
        var manifest = ManifestOf(published);
        if (!manifest.IsValid())
            return false;
        return db.Execute(
            """
            INSERT INTO packages (sha256, package_name, version_code, version_name, size_bytes, min_os_version, published_at, signature, received_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (sha256) DO NOTHING
            """,
            manifest.Sha256, manifest.PackageName, manifest.VersionCode, manifest.VersionName, manifest.SizeBytes, manifest.MinOsVersion,
            published.PublishedUnixSeconds, published.Signature, atMs) > 0;
    }

    internal static PackageManifest ManifestOf(PackagePublished published) =>
        new(
            published.Sha256, published.PackageName, published.VersionCode, published.VersionName, published.SizeBytes,
            published.MinOsVersion.Length == 0 ? null : published.MinOsVersion,
            DateTimeOffset.FromUnixTimeSeconds(published.PublishedUnixSeconds));

    /// <summary>
    /// Keeps the hub's key, replacing another one. A PEM that is not a P-256 public key is not stored (the site
    /// keeps the key it had). Returns whether the stored key changed.
    /// </summary>
    private static bool StoreSigningKey(SQLiteConnection db, PackageSigningKey key, long atMs)
    {
        string keyId;
        try
        {
            keyId = ManifestVerifier.FromPem(key.PublicKeyPem).KeyId;
        }
        catch (ArgumentException)
        {
            return false;
        }

        return db.Execute(
            """
            INSERT INTO package_signing_key (id, public_key_pem, key_id, received_at) VALUES (1, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET public_key_pem = excluded.public_key_pem, key_id = excluded.key_id, received_at = excluded.received_at
            WHERE key_id <> excluded.key_id
            """,
            key.PublicKeyPem, keyId, atMs) > 0;
    }

    private sealed class SigningKeyRow
    {
        public string PublicKeyPem { get; set; } = "";
        public string KeyId { get; set; } = "";
    }

    private sealed class PackageRow
    {
        public const string Select =
            """
            SELECT sha256 AS Sha256, package_name AS PackageName, version_code AS VersionCode, version_name AS VersionName,
                   size_bytes AS SizeBytes, min_os_version AS MinOsVersion, published_at AS PublishedAt, signature AS Signature
            FROM packages
            """;

        public string Sha256 { get; set; } = "";
        public string PackageName { get; set; } = "";
        public long VersionCode { get; set; }
        public string VersionName { get; set; } = "";
        public long SizeBytes { get; set; }
        public string? MinOsVersion { get; set; }
        public long PublishedAt { get; set; }
        public string Signature { get; set; } = "";

        public SignedManifest ToSignedManifest() =>
            new(new PackageManifest(Sha256, PackageName, VersionCode, VersionName, SizeBytes, MinOsVersion, DateTimeOffset.FromUnixTimeSeconds(PublishedAt)), Signature);
    }
}

/// <summary>
/// The declarations of the device holding a secret: a download is allowed only for a package they name. Declared
/// here, answered by the feature that decides what devices are declared.
/// </summary>
public interface IDeviceDeclarations
{
    Outcome<DeclarationsDocument> Declarations(string secretHash);
}
