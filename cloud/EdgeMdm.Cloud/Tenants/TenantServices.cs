namespace EdgeMdm.Cloud.Tenants;

public static class TenantServices
{
    public static IServiceCollection AddTenants(this IServiceCollection services)
    {
        services.AddSingleton<ITenantStore, SqlTenantStore>();
        services.AddSingleton<ITenantGuard, SqlTenantGuard>();
        return services;
    }
}
