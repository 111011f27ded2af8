namespace EdgeMdm.Cloud.Sites;

internal sealed class SqlSiteDirectory(IHubDatabase db) : ISiteDirectory
{
    private const string SelectTenantSite = "SELECT 1 FROM sites WHERE site_id = ? AND tenant_id = ?";

    public async Task<bool> SiteExistsAsync(HubSession session, string tenantId, string siteId)
    {
        ArgumentNullException.ThrowIfNull(session);
        return await session.SingleOrDefaultAsync(SelectTenantSite, siteId, tenantId) is not null;
    }

    public async Task RequireSiteAsync(HubSession session, string tenantId, string siteId)
    {
        if (!await SiteExistsAsync(session, tenantId, siteId))
            throw new StoreConflictException($"unknown site '{siteId}'");
    }

    public async Task LockSiteAsync(HubSession session, string tenantId, string siteId)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (await session.SingleOrDefaultAsync(SelectTenantSite + db.ForUpdate, siteId, tenantId) is null)
            throw new StoreConflictException($"unknown site '{siteId}'");
    }

    public async Task<IReadOnlyList<string>> SiteIdsAsync(HubSession session, string? tenantId)
    {
        ArgumentNullException.ThrowIfNull(session);
        var rows = tenantId is null
            ? await session.QueryAsync("SELECT site_id FROM sites ORDER BY site_id")
            : await session.QueryAsync("SELECT site_id FROM sites WHERE tenant_id = ? ORDER BY site_id", tenantId);
        return rows.Select(r => r.Text(0)).ToList();
    }

    public async Task<string?> TenantOfAsync(HubSession session, string siteId)
    {
        ArgumentNullException.ThrowIfNull(session);
        return (await session.SingleOrDefaultAsync("SELECT tenant_id FROM sites WHERE site_id = ?", siteId))?.Text(0);
    }
}
