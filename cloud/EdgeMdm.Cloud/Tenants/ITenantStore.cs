namespace EdgeMdm.Cloud.Tenants;

/// <summary>The tenants a hub serves; created by the hub operator (<c>edgemdm-cloud tenants add</c>).</summary>
public interface ITenantStore
{
    /// <summary>
    /// Creates a tenant whose id is derived from the name (lowercase, dashes, as for sites); an id that is
    /// taken throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<TenantRecord> AddTenantAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken cancellationToken = default);
}

public sealed record TenantRecord(string TenantId, string Name, DateTimeOffset CreatedAt);

/// <summary>The tenant every hub has: where an existing database's records went when tenants came.</summary>
public static class TenantIds
{
    public const string Default = "default";
}
