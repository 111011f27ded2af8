using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Sites;

/// <summary>
/// The sites table is shared with Sync/, which keeps the site's sync position on the same row (applied_through,
/// feed_head, the Hello report): the summary reads those columns from that row, one query for the whole list.
/// </summary>
internal sealed class SqlSiteRegistry(
    IHubDatabase db, TimeProvider time, ITenantGuard tenants, ISiteDirectory directory, IFeedWriter feed, IPackageSeed packages, IBlueprintSeed blueprints)
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

        // A new site starts with who it is (an appliance with no seed has no other source), then from its tenant's
        // current catalog, like a site that was there all along: the key first (so every manifest after it can be
        // checked), the packages, then the blueprints that name them.
        await FeedNameAsync(s, siteId, name);
        await packages.AppendToNewSiteAsync(s, siteId, tenantId);
        await blueprints.AppendToNewSiteAsync(s, siteId, tenantId);
        await s.CommitAsync();
        return new NewSite(siteId, credential);
    }

    public async Task<bool> RenameSiteAsync(string tenantId, string siteId, string name, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await directory.LockSiteAsync(s, tenantId, siteId);
        var current = await s.SingleOrDefaultAsync("SELECT name, name_position FROM sites WHERE site_id = ?", siteId);
        if (string.Equals(current!.Text(0), name, StringComparison.Ordinal) && current.NullableLong(1) is not null)
            return false;
        await s.ExecuteAsync("UPDATE sites SET name = ? WHERE site_id = ?", name, siteId);
        await FeedNameAsync(s, siteId, name);
        await s.CommitAsync();
        return true;
    }

    public async Task<int> FeedUnfedNamesAsync(CancellationToken cancellationToken = default)
    {
        const string Unfed = "SELECT site_id, name FROM sites WHERE name_position IS NULL ORDER BY site_id";

        // Read first without a lock: after the first start of a hub that feeds names this is all it does.
        await using (var read = await db.BeginAsync(write: false, cancellationToken))
        {
            if ((await read.QueryAsync(Unfed)).Count == 0)
                return 0;
        }

        // The catalog lock makes replicas starting together queue here; the second finds every name fed.
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await db.LockCatalogAsync(s);
        var sites = await s.QueryAsync(Unfed);
        foreach (var site in sites)
            await FeedNameAsync(s, site.Text(0), site.Text(1));
        await s.CommitAsync();
        return sites.Count;
    }

    /// <summary>Appends the site's name to its feed and records where, in the caller's transaction.</summary>
    private async Task FeedNameAsync(HubSession s, string siteId, string name)
    {
        var position = await feed.AppendAsync(s, siteId, new HubChange { SiteRenamed = new() { SiteId = siteId, Name = name } });
        await s.ExecuteAsync("UPDATE sites SET name_position = ? WHERE site_id = ?", position, siteId);
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
