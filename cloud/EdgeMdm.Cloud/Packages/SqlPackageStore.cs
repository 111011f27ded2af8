using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Packages;

internal sealed class SqlPackageStore(IHubDatabase db, ITenantGuard tenants, ISiteDirectory sites, IFeedWriter feed) : IPackageStore
{
    public async Task<PublishOutcome> PublishPackageAsync(string tenantId, SignedManifest manifest, string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var m = manifest.Manifest;
        await using var s = await db.BeginAsync(write: true, cancellationToken);

        // The catalog lock orders this with site creation: a new site either sees the package in its first feed
        // or gets it from the fan-out below, never neither, never both.
        await db.LockCatalogAsync(s);
        await tenants.RequireTenantAsync(s, tenantId);
        if (await PackageRows.PackageOfAsync(s, " WHERE tenant_id = ? AND sha256 = ?", tenantId, m.Sha256) is { } sameBytes)
        {
            var sameVersion = string.Equals(sameBytes.Manifest.PackageName, m.PackageName, StringComparison.Ordinal)
                && sameBytes.Manifest.VersionCode == m.VersionCode;
            return new PublishOutcome(sameVersion ? PublishResult.AlreadyPublished : PublishResult.Conflict, sameBytes);
        }

        if (await PackageRows.PackageOfAsync(s, " WHERE tenant_id = ? AND package_name = ? AND version_code = ?", tenantId, m.PackageName, m.VersionCode) is { } sameVersionOtherBytes)
            return new PublishOutcome(PublishResult.Conflict, sameVersionOtherBytes);
        await s.ExecuteAsync(
            """
            INSERT INTO packages (tenant_id, sha256, package_name, version_code, version_name, size_bytes, min_os_version, published_at, signature, key_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            tenantId, m.Sha256, m.PackageName, m.VersionCode, m.VersionName, m.SizeBytes, m.MinOsVersion, m.PublishedAt.ToUnixTimeSeconds(), manifest.Signature, keyId);
        var published = new PublishedPackage(m, manifest.Signature, keyId);
        await feed.AppendToEachAsync(s, await sites.SiteIdsAsync(s, tenantId), PackageRows.PublishedChange(published));
        await s.CommitAsync();
        return new PublishOutcome(PublishResult.Created, published);
    }

    public async Task<IReadOnlyList<PublishedPackage>> ListPackagesAsync(string tenantId, string? packageName = null, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = packageName is null
            ? await s.QueryAsync(PackageRows.SelectPackage + " WHERE tenant_id = ? ORDER BY package_name, version_code", tenantId)
            : await s.QueryAsync(PackageRows.SelectPackage + " WHERE tenant_id = ? AND package_name = ? ORDER BY version_code", tenantId, packageName);
        return rows.Select(PackageRows.PackageOf).ToList();
    }

    public async Task<PublishedPackage?> FindPackageAsync(string tenantId, string sha256, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        return await PackageRows.PackageOfAsync(s, " WHERE tenant_id = ? AND sha256 = ?", tenantId, sha256);
    }

    public async Task<PublishedPackage?> FindPackageVersionAsync(string tenantId, string packageName, long versionCode, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        return await PackageRows.PackageOfAsync(s, " WHERE tenant_id = ? AND package_name = ? AND version_code = ?", tenantId, packageName, versionCode);
    }

    public async Task<long?> PackageSizeForSiteAsync(string siteId, string sha256, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        if (await sites.TenantOfAsync(s, siteId) is not { } tenantId)
            return null;
        return (await s.SingleOrDefaultAsync("SELECT size_bytes FROM packages WHERE tenant_id = ? AND sha256 = ?", tenantId, sha256))?.Long(0);
    }
}
