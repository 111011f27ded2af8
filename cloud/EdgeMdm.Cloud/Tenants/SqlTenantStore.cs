namespace EdgeMdm.Cloud.Tenants;

internal sealed class SqlTenantStore(IHubDatabase db, TimeProvider time) : ITenantStore
{
    public async Task<TenantRecord> AddTenantAsync(string name, CancellationToken cancellationToken = default)
    {
        var tenantId = HubIds.FromName(name);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM tenants WHERE tenant_id = ?", tenantId) is not null)
            throw new StoreConflictException($"a tenant with id '{tenantId}' exists");
        await s.ExecuteAsync("INSERT INTO tenants (tenant_id, name, created_at) VALUES (?, ?, ?)", tenantId, name, now);
        await s.CommitAsync();
        return new TenantRecord(tenantId, name, DateTimeOffset.FromUnixTimeMilliseconds(now));
    }

    public async Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync("SELECT tenant_id, name, created_at FROM tenants ORDER BY tenant_id");
        return rows.Select(r => new TenantRecord(r.Text(0), r.Text(1), r.Time(2))).ToList();
    }
}
