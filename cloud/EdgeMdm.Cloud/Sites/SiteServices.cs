namespace EdgeMdm.Cloud.Sites;

public static class SiteServices
{
    public static IServiceCollection AddSites(this IServiceCollection services)
    {
        services.AddSingleton<ISiteRegistry, SqlSiteRegistry>();
        services.AddSingleton<ISiteDirectory, SqlSiteDirectory>();
        return services;
    }
}
