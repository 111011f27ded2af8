namespace EdgeMdm.Cloud.Tenants;

internal sealed class SqlTenantGuard : ITenantGuard
{
    public async Task RequireTenantAsync(HubSession session, string tenantId)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (await session.SingleOrDefaultAsync("SELECT 1 FROM tenants WHERE tenant_id = ?", tenantId) is null)
            throw new StoreConflictException($"unknown tenant '{tenantId}'");
    }
}
