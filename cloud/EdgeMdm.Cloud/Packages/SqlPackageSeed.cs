using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Packages;

internal sealed class SqlPackageSeed(IFeedWriter feed, SigningKeyProtection protection) : IPackageSeed
{
    public async Task AppendToNewSiteAsync(HubSession session, string siteId, string tenantId)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (await PackageRows.OldestKeyAsync(session) is { } pem)
        {
            using var signer = ManifestSigner.FromPkcs8Pem(protection.Unprotect(pem));
            await feed.AppendAsync(session, siteId, PackageRows.SigningKeyChange(signer));
        }

        var packages = await session.QueryAsync(PackageRows.SelectPackage + " WHERE tenant_id = ? ORDER BY published_at, package_name, version_code", tenantId);
        foreach (var package in packages.Select(PackageRows.PackageOf))
            await feed.AppendAsync(session, siteId, PackageRows.PublishedChange(package));
    }
}
