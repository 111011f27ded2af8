namespace EdgeMdm.Cloud.Tenants;

/// <summary>What other features ask of tenants inside their own transaction.</summary>
internal interface ITenantGuard
{
    /// <summary>Throws <see cref="StoreConflictException"/> for a tenant the hub does not have.</summary>
    Task RequireTenantAsync(HubSession session, string tenantId);
}
