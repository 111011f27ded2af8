using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.SiteUsers;

internal sealed class SqlSiteUserStore(IHubDatabase db, TimeProvider time, ISiteDirectory sites, IFeedWriter feed) : ISiteUserStore
{
    public async Task<bool> UpsertSiteUserAsync(
        string tenantId, string siteId, string userName, string role, string passwordHash, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await sites.LockSiteAsync(s, tenantId, siteId);
        var created = await s.SingleOrDefaultAsync("SELECT 1 FROM site_users WHERE site_id = ? AND user_name = ?", siteId, userName) is null;
        await s.ExecuteAsync(
            """
            INSERT INTO site_users (site_id, user_name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (site_id, user_name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, updated_at = excluded.updated_at
            """,
            siteId, userName, role, passwordHash, now, now);
        await feed.AppendAsync(s, siteId, new HubChange { SiteUserUpserted = new() { UserName = userName, Role = role, PasswordHash = passwordHash } });
        await s.CommitAsync();
        return created;
    }

    public async Task<IReadOnlyList<SiteUserRecord>?> ListSiteUsersAsync(string tenantId, string siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        if (!await sites.SiteExistsAsync(s, tenantId, siteId))
            return null;
        var rows = await s.QueryAsync("SELECT user_name, role, created_at, updated_at FROM site_users WHERE site_id = ? ORDER BY user_name", siteId);
        return rows.Select(r => new SiteUserRecord(r.Text(0), r.Text(1), r.Time(2), r.Time(3))).ToList();
    }

    public async Task<bool> RemoveSiteUserAsync(string tenantId, string siteId, string userName, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await sites.LockSiteAsync(s, tenantId, siteId);
        if (await s.ExecuteAsync("DELETE FROM site_users WHERE site_id = ? AND user_name = ?", siteId, userName) == 0)
            return false;
        await feed.AppendAsync(s, siteId, new HubChange { SiteUserRemoved = new() { UserName = userName } });
        await s.CommitAsync();
        return true;
    }
}
