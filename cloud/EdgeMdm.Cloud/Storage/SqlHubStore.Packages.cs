using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Storage;

// The package signing key and the tenants' package catalogs (issue 4).
public sealed partial class SqlHubStore
{
    private const string SelectPackage =
        "SELECT sha256, package_name, version_code, version_name, size_bytes, min_os_version, published_at, signature, key_id FROM packages";

    public async Task<string> EnsureSigningKeyAsync(CancellationToken cancellationToken = default)
    {
        // Read first without a lock: after the first start this is all it ever does.
        await using (var read = await _db.BeginAsync(write: false, cancellationToken))
        {
            if (await OldestKeyAsync(read) is { } existing)
                return existing;
        }

        await using var s = await _db.BeginAsync(write: true, cancellationToken);

        // The catalog lock makes replicas starting together queue here; the second one finds the first's key.
        // Holding it also keeps a site from being added between the key and the fan-out below.
        await LockCatalogAsync(s);
        if (await OldestKeyAsync(s) is { } created)
            return created;
        using var signer = ManifestSigner.CreateNew();
        var pem = signer.ExportPkcs8Pem();
        await s.ExecuteAsync("INSERT INTO signing_keys (key_id, private_key_pem, created_at) VALUES (?, ?, ?)", signer.KeyId, pem, NowMs);
        var change = SigningKeyChange(signer);
        foreach (var site in await s.QueryAsync("SELECT site_id FROM sites ORDER BY site_id"))
            await AppendAsync(s, site.Text(0), change);
        await s.CommitAsync();
        return pem;
    }

    public async Task<PublishOutcome> PublishPackageAsync(string tenantId, SignedManifest manifest, string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var m = manifest.Manifest;
        await using var s = await _db.BeginAsync(write: true, cancellationToken);

        // The catalog lock orders this with site creation: a new site either sees the package in its first feed
        // or gets it from the fan-out below, never neither, never both.
        await LockCatalogAsync(s);
        await RequireTenantAsync(s, tenantId);
        if (await PackageOfAsync(s, " WHERE tenant_id = ? AND sha256 = ?", tenantId, m.Sha256) is { } sameBytes)
        {
            var sameVersion = string.Equals(sameBytes.Manifest.PackageName, m.PackageName, StringComparison.Ordinal)
                && sameBytes.Manifest.VersionCode == m.VersionCode;
            return new PublishOutcome(sameVersion ? PublishResult.AlreadyPublished : PublishResult.Conflict, sameBytes);
        }

        if (await PackageOfAsync(s, " WHERE tenant_id = ? AND package_name = ? AND version_code = ?", tenantId, m.PackageName, m.VersionCode) is { } sameVersionOtherBytes)
            return new PublishOutcome(PublishResult.Conflict, sameVersionOtherBytes);
        await s.ExecuteAsync(
            """
            INSERT INTO packages (tenant_id, sha256, package_name, version_code, version_name, size_bytes, min_os_version, published_at, signature, key_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            tenantId, m.Sha256, m.PackageName, m.VersionCode, m.VersionName, m.SizeBytes, m.MinOsVersion, m.PublishedAt.ToUnixTimeSeconds(), manifest.Signature, keyId);
        var published = new PublishedPackage(m, manifest.Signature, keyId);
        await AppendToTenantSitesAsync(s, tenantId, PublishedChange(published));
        await s.CommitAsync();
        return new PublishOutcome(PublishResult.Created, published);
    }

    public async Task<IReadOnlyList<PublishedPackage>> ListPackagesAsync(string tenantId, string? packageName = null, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = packageName is null
            ? await s.QueryAsync(SelectPackage + " WHERE tenant_id = ? ORDER BY package_name, version_code", tenantId)
            : await s.QueryAsync(SelectPackage + " WHERE tenant_id = ? AND package_name = ? ORDER BY version_code", tenantId, packageName);
        return rows.Select(PackageOf).ToList();
    }

    public async Task<PublishedPackage?> FindPackageAsync(string tenantId, string sha256, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        return await PackageOfAsync(s, " WHERE tenant_id = ? AND sha256 = ?", tenantId, sha256);
    }

    public async Task<PublishedPackage?> FindPackageVersionAsync(string tenantId, string packageName, long versionCode, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        return await PackageOfAsync(s, " WHERE tenant_id = ? AND package_name = ? AND version_code = ?", tenantId, packageName, versionCode);
    }

    public async Task<long?> PackageSizeForSiteAsync(string siteId, string sha256, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync(
            "SELECT p.size_bytes FROM packages p JOIN sites s ON s.tenant_id = p.tenant_id WHERE s.site_id = ? AND p.sha256 = ?", siteId, sha256);
        return row?.Long(0);
    }

    /// <summary>What a new site's feed starts with: the key when there is one, then each package of its tenant, oldest first.</summary>
    private async Task AppendSigningKeyAndPackagesAsync(HubSession s, string siteId, string tenantId)
    {
        if (await OldestKeyAsync(s) is { } pem)
        {
            using var signer = ManifestSigner.FromPkcs8Pem(pem);
            await AppendAsync(s, siteId, SigningKeyChange(signer));
        }

        var packages = await s.QueryAsync(SelectPackage + " WHERE tenant_id = ? ORDER BY published_at, package_name, version_code", tenantId);
        foreach (var package in packages.Select(PackageOf))
            await AppendAsync(s, siteId, PublishedChange(package));
    }

    /// <summary>The key that signs: the first one created (there is one until keys rotate).</summary>
    private static async Task<string?> OldestKeyAsync(HubSession s) =>
        (await s.SingleOrDefaultAsync("SELECT private_key_pem FROM signing_keys ORDER BY created_at, key_id LIMIT 1"))?.Text(0);

    private static HubChange SigningKeyChange(ManifestSigner signer) =>
        new() { SigningKey = new PackageSigningKey { PublicKeyPem = signer.PublicKeyPem, KeyId = signer.KeyId } };

    private static HubChange PublishedChange(PublishedPackage package) => new()
    {
        PackagePublished = new PackagePublished
        {
            Sha256 = package.Manifest.Sha256,
            PackageName = package.Manifest.PackageName,
            VersionCode = package.Manifest.VersionCode,
            VersionName = package.Manifest.VersionName,
            SizeBytes = package.Manifest.SizeBytes,
            MinOsVersion = package.Manifest.MinOsVersion ?? "",
            PublishedUnixSeconds = package.Manifest.PublishedAt.ToUnixTimeSeconds(),
            Signature = package.Signature,
        },
    };

    private static async Task<PublishedPackage?> PackageOfAsync(HubSession s, string where, params object?[] args) =>
        await s.SingleOrDefaultAsync(SelectPackage + where, args) is { } row ? PackageOf(row) : null;

    private static PublishedPackage PackageOf(Row r) => new(
        new PackageManifest(r.Text(0), r.Text(1), r.Long(2), r.Text(3), r.Long(4), r.NullableText(5), DateTimeOffset.FromUnixTimeSeconds(r.Long(6))),
        r.Text(7),
        r.Text(8));
}
