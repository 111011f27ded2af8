namespace EdgeMdm.Cloud.Tenants;

public static class TenantServices
{
    public static IServiceCollection AddTenants(this IServiceCollection services) => services
        .AddSingleton<ITenantStore, SqlTenantStore>()
        .AddSingleton<ITenantGuard, SqlTenantGuard>();
}
