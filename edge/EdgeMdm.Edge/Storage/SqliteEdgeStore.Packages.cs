using EdgeMdm.Contracts.Device;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Edge.Rollouts;
using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>The hub's package signing key as the site last received it.</summary>
public sealed record PackageSigningKeyRecord(string PublicKeyPem, string KeyId);

/// <summary>A blob file's size and modification time (ticks, UTC) when its hash was last checked.</summary>
public sealed record BlobFingerprint(long SizeBytes, long ModifiedTicks)
{
    public static BlobFingerprint Of(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new BlobFingerprint(file.Length, file.LastWriteTimeUtc.Ticks);
    }
}

/// <summary>
/// One row of the cache index. <paramref name="Complete"/>: verified and under its final name;
/// <paramref name="Verified"/>: the file's fingerprint at that check (null while incomplete).
/// </summary>
public sealed record CacheEntry(string Sha256, long SizeBytes, long BytesHeld, bool Complete, BlobFingerprint? Verified, DateTimeOffset LastUsedAt);

/// <summary>The cache's counters as last flushed by the running appliance.</summary>
public sealed record CacheCounters(long Hits, long Misses, long FetchFailures, long QuotaBytes);

/// <summary>
/// The package catalog (from the hub's feed) and the index of what the site's blob directory holds. The blob
/// files themselves are the <c>BlobCache</c>'s; this is only what is known about them.
/// </summary>
public interface IPackageCacheStore
{
    /// <summary>The signed manifest of a package of the site's catalog; null for a sha256 the site does not know.</summary>
    SignedManifest? Package(string sha256);

    /// <summary>
    /// The packages some blueprint of the site names (package name and version code) and whose manifest the
    /// site's signing key verifies: what devices are offered, so what the cache must hold and never evict.
    /// </summary>
    IReadOnlyList<SignedManifest> PinnedPackages();

    /// <summary>The hub's signing key; null until the feed brought it.</summary>
    PackageSigningKeyRecord? PackageSigningKey { get; }

    /// <summary>
    /// Pulsed whenever what the cache should hold may have changed: a package, a blueprint or the key came down
    /// the feed, or a cached file was lost or found tampered with.
    /// </summary>
    ChangeSignal PackagesChanged { get; }

    CacheEntry? CacheEntry(string sha256);

    IReadOnlyList<CacheEntry> CacheEntries();

    /// <summary>Records how much of a blob is held while it is being fetched (not complete).</summary>
    Task RecordFetchProgressAsync(string sha256, long sizeBytes, long bytesHeld, DateTimeOffset now);

    /// <summary>The blob is verified and under its final name, with the fingerprint of that check.</summary>
    Task MarkCachedAsync(string sha256, long sizeBytes, BlobFingerprint verified, DateTimeOffset now);

    /// <summary>The blob's file is gone (evicted, lost or tampered with); removes its row.</summary>
    Task ForgetCachedAsync(string sha256);

    /// <summary>Adds counted downloads and failures, and raises each blob's last use to the time given.</summary>
    Task RecordCacheUsageAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, long hits, long misses, long fetchFailures);

    Task RecordCacheQuotaAsync(long quotaBytes);

    CacheCounters CacheCounters();
}

// The package catalog from the hub's feed (PackagePublished, PackageSigningKey), applied inside
// ApplyDownstream's writer unit, and the cache index. Declarations carry a package only when the site's
// key verifies its manifest, so a device is never sent to download something it would refuse anyway.
public sealed partial class SqliteEdgeStore : IPackageCacheStore
{
    private const string DownloadPathPrefix = "/api/v1/packages/";

    private volatile PackageCatalog _catalog = PackageCatalog.Empty;

    public ChangeSignal PackagesChanged { get; } = new();

    public PackageSigningKeyRecord? PackageSigningKey => _catalog.Key;

    public SignedManifest? Package(string sha256) =>
        _catalog.BySha.GetValueOrDefault(sha256);

    /// <summary>
    /// Both ends of every rollout: a device is declared its target or, until its wave is offered (or for good when
    /// its OS is too old), the version it started from, and either must be there to download.
    /// </summary>
    public IReadOnlyList<SignedManifest> PinnedPackages()
    {
        var catalog = _catalog;
        return _blueprints.Values
            .SelectMany(entry => entry.Blueprint.Apps)
            .SelectMany(app => SiteRollout.ActiveRollout(app) is { FromVersionCode: { } from }
                ? new[] { (app.PackageName, app.VersionCode), (app.PackageName, from) }
                : [(app.PackageName, app.VersionCode)])
            .Select(version => catalog.Verified.GetValueOrDefault(version))
            .OfType<SignedManifest>()
            .DistinctBy(manifest => manifest.Manifest.Sha256, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The blueprint's declarations with each app the site has a verified package for carrying it (under the
    /// manifest's version name), and the signing key. The token stays a content hash: the blueprint's own token when nothing was added, otherwise
    /// a hash over it, every added package (its sha256 and signature, which covers the rest of its manifest)
    /// and the key's id, so a device fetches the document again whenever any of them changes.
    /// </summary>
    private static DeclarationsDocument Declare(Blueprint blueprint, PackageCatalog catalog)
    {
        var plain = blueprint.ToDeclarations();
        if (catalog.Key is null)
            return plain;

        var hashed = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["declarations"] = plain.Token,
            ["packageSigningKey"] = catalog.Key.KeyId,
        };
        var apps = new List<AppDeclaration>(plain.Apps.Count);
        foreach (var app in plain.Apps)
        {
            if (catalog.Verified.TryGetValue((app.PackageName, app.VersionCode), out var signed))
            {
                var manifest = signed.Manifest;
                // The agent rebuilds the signed manifest from the declaration, so its version name must be the
                // manifest's; the blueprint's is informational and may be written differently ("4.1.2" vs "v4.1.2").
                apps.Add(app with
                {
                    VersionName = manifest.VersionName,
                    Package = new AppPackage(
                        manifest.Sha256, manifest.SizeBytes, manifest.MinOsVersion, manifest.PublishedAt, signed.Signature,
                        DownloadPathPrefix + manifest.Sha256),
                });
                hashed["package:" + app.PackageName] = manifest.Sha256 + ":" + signed.Signature;
            }
            else
            {
                apps.Add(app);
            }
        }

        return plain with { Apps = apps, PackageSigningKey = catalog.Key.PublicKeyPem, Token = CanonicalHash.Of(hashed) };
    }

    /// <summary>
    /// The catalog as committed: every package by sha256, and by (name, version code) the newest published one
    /// whose manifest the stored key verifies.
    /// </summary>
    private static PackageCatalog LoadCatalog(SQLiteConnection db)
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

    // ---- cache index ------------------------------------------------------------------------------------

    private const string SelectCacheEntry =
        """
        SELECT sha256 AS Sha256, size_bytes AS SizeBytes, bytes_held AS BytesHeld, complete AS Complete,
               verified_size AS VerifiedSize, verified_mtime_ticks AS VerifiedModifiedTicks, last_used_at AS LastUsedAt
        FROM package_cache
        """;

    public CacheEntry? CacheEntry(string sha256) =>
        _reads.Read(db => db.Query<CacheRow>(SelectCacheEntry + " WHERE sha256 = ?", sha256).FirstOrDefault()?.ToEntry());

    public IReadOnlyList<CacheEntry> CacheEntries() =>
        _reads.Read(db => db.Query<CacheRow>(SelectCacheEntry + " ORDER BY last_used_at, sha256").Select(r => r.ToEntry()).ToList());

    public Task RecordFetchProgressAsync(string sha256, long sizeBytes, long bytesHeld, DateTimeOffset now) =>
        _writer.WriteAsync(db => db.Execute(
            """
            INSERT INTO package_cache (sha256, size_bytes, bytes_held, complete, last_used_at) VALUES (?, ?, ?, 0, ?)
            ON CONFLICT (sha256) DO UPDATE SET size_bytes = excluded.size_bytes, bytes_held = excluded.bytes_held, complete = 0,
                verified_size = NULL, verified_mtime_ticks = NULL
            """,
            sha256, sizeBytes, bytesHeld, now.ToUnixTimeMilliseconds()));

    public Task MarkCachedAsync(string sha256, long sizeBytes, BlobFingerprint verified, DateTimeOffset now) =>
        _writer.WriteAsync(db => db.Execute(
            """
            INSERT INTO package_cache (sha256, size_bytes, bytes_held, complete, verified_size, verified_mtime_ticks, last_used_at)
            VALUES (?1, ?2, ?2, 1, ?3, ?4, ?5)
            ON CONFLICT (sha256) DO UPDATE SET size_bytes = excluded.size_bytes, bytes_held = excluded.bytes_held, complete = 1,
                verified_size = excluded.verified_size, verified_mtime_ticks = excluded.verified_mtime_ticks
            """,
            sha256, sizeBytes, verified.SizeBytes, verified.ModifiedTicks, now.ToUnixTimeMilliseconds()));

    public Task ForgetCachedAsync(string sha256) =>
        _writer.WriteAsync(db => db.Execute("DELETE FROM package_cache WHERE sha256 = ?", sha256));

    public Task RecordCacheUsageAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, long hits, long misses, long fetchFailures)
    {
        ArgumentNullException.ThrowIfNull(lastUsed);
        return _writer.WriteAsync(db =>
        {
            foreach (var (sha256, at) in lastUsed)
                db.Execute("UPDATE package_cache SET last_used_at = max(last_used_at, ?) WHERE sha256 = ?", at.ToUnixTimeMilliseconds(), sha256);
            return db.Execute(
                "UPDATE package_cache_counters SET hits = hits + ?, misses = misses + ?, fetch_failures = fetch_failures + ? WHERE id = 1",
                hits, misses, fetchFailures);
        });
    }

    public Task RecordCacheQuotaAsync(long quotaBytes) =>
        _writer.WriteAsync(db => db.Execute("UPDATE package_cache_counters SET quota_bytes = ? WHERE id = 1", quotaBytes));

    public CacheCounters CacheCounters() =>
        _reads.Read(db => db.Query<CountersRow>(
                "SELECT hits AS Hits, misses AS Misses, fetch_failures AS FetchFailures, quota_bytes AS QuotaBytes FROM package_cache_counters WHERE id = 1")
            .Select(c => new CacheCounters(c.Hits, c.Misses, c.FetchFailures, c.QuotaBytes))
            .Single());

    /// <summary>An immutable snapshot of the catalog, swapped whole on reload so readers never see half of one.</summary>
    private sealed record PackageCatalog(
        IReadOnlyDictionary<string, SignedManifest> BySha,
        IReadOnlyDictionary<(string PackageName, long VersionCode), SignedManifest> Verified,
        PackageSigningKeyRecord? Key)
    {
        public static readonly PackageCatalog Empty = new(new Dictionary<string, SignedManifest>(StringComparer.Ordinal), new Dictionary<(string, long), SignedManifest>(), null);
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

    private sealed class CacheRow
    {
        public string Sha256 { get; set; } = "";
        public long SizeBytes { get; set; }
        public long BytesHeld { get; set; }
        public int Complete { get; set; }
        public long? VerifiedSize { get; set; }
        public long? VerifiedModifiedTicks { get; set; }
        public long LastUsedAt { get; set; }

        public CacheEntry ToEntry() => new(
            Sha256, SizeBytes, BytesHeld, Complete != 0,
            VerifiedSize is { } size && VerifiedModifiedTicks is { } ticks ? new BlobFingerprint(size, ticks) : null,
            DateTimeOffset.FromUnixTimeMilliseconds(LastUsedAt));
    }

    private sealed class CountersRow
    {
        public long Hits { get; set; }
        public long Misses { get; set; }
        public long FetchFailures { get; set; }
        public long QuotaBytes { get; set; }
    }
}
