using EdgeMdm.Cloud.Catalog;
using EdgeMdm.Cloud.Packages;
using EdgeMdm.Cloud.Storage;
using EdgeMdm.Cloud.Tenants;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Sites;

/// <summary>
/// The sites table is shared with Sync/, which keeps the site's sync position on the same row (applied_through,
/// feed_head, the Hello report): the summary reads those columns from that row, one query for the whole list.
/// </summary>
internal sealed class SqlSiteRegistry(
    IHubDatabase db, TimeProvider time, ITenantGuard tenants, ISiteDirectory directory, IPackageSeed packages, IBlueprintSeed blueprints)
    : ISiteRegistry
{
    public async Task<NewSite> AddSiteAsync(string tenantId, string name, CancellationToken cancellationToken = default)
    {
        // Outside the default tenant the id carries the tenant's: a dot never occurs in a slug, so two tenants'
        // ids cannot collide and a refused name can only be one of the caller's own.
        var slug = HubIds.FromName(name);
        var siteId = string.Equals(tenantId, TenantIds.Default, StringComparison.Ordinal) ? slug : tenantId + "." + slug;
        var credential = HubIds.NewSecret();
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await db.LockCatalogAsync(s);
        await tenants.RequireTenantAsync(s, tenantId);
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM sites WHERE site_id = ?", siteId) is not null)
            throw new StoreConflictException($"a site with id '{siteId}' exists");
        await s.ExecuteAsync(
            "INSERT INTO sites (site_id, tenant_id, name, credential_hash, created_at) VALUES (?, ?, ?, ?, ?)",
            siteId, tenantId, name, CanonicalHash.Sha256Hex(credential), time.GetUtcNow().ToUnixTimeMilliseconds());

        // A new site starts from its tenant's current catalog, like a site that was there all along: the key
        // first (so every manifest after it can be checked), the packages, then the blueprints that name them.
        await packages.AppendToNewSiteAsync(s, siteId, tenantId);
        await blueprints.AppendToNewSiteAsync(s, siteId, tenantId);
        await s.CommitAsync();
        return new NewSite(siteId, credential);
    }

    public async Task<bool> SiteExistsAsync(string tenantId, string siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        return await directory.SiteExistsAsync(s, tenantId, siteId);
    }

    public async Task<IReadOnlyList<SiteSummary>> ListSitesAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            """
            SELECT site_id, name, last_sync_at, applied_through, feed_head,
                   uplink_state, outbox_depth, outbox_head, oldest_pending_at, site_last_sync_at, reported_at
            FROM sites WHERE tenant_id = ? ORDER BY site_id
            """,
            tenantId);
        return rows.Select(r => new SiteSummary(r.Text(0), r.Text(1), r.NullableTime(2), r.ULong(3), r.ULong(4))
        {
            Report = r.NullableText(5) is { } uplink
                ? new SiteSyncReport(r.ULong(6), r.ULong(7), r.NullableTime(8), uplink, r.NullableTime(9))
                : null,
            ReportedAt = r.NullableTime(10),
        }).ToList();
    }

    public async Task<string?> AuthenticateSiteAsync(string credential, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(credential))
            return null;
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync("SELECT site_id FROM sites WHERE credential_hash = ?", CanonicalHash.Sha256Hex(credential));
        return row?.Text(0);
    }
}
