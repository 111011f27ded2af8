namespace EdgeMdm.Cloud.SiteUsers;

public static class SiteUserServices
{
    public static IServiceCollection AddSiteUsers(this IServiceCollection services) =>
        services.AddSingleton<ISiteUserStore, SqlSiteUserStore>();
}
