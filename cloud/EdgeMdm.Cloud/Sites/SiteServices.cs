namespace EdgeMdm.Cloud.Sites;

public static class SiteServices
{
    public static IServiceCollection AddSites(this IServiceCollection services) => services
        .AddSingleton<ISiteRegistry, SqlSiteRegistry>()
        .AddSingleton<ISiteDirectory, SqlSiteDirectory>();

    /// <summary>
    /// Feeds the name of every site registered before the hub fed names (their appliances may know none): the hub
    /// calls this once it is built, before it serves.
    /// </summary>
    public static async Task StartSitesAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var fed = await services.GetRequiredService<ISiteRegistry>().FeedUnfedNamesAsync(cancellationToken);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SiteServices).FullName!);
        if (fed > 0)
            SiteLog.NamesFed(logger, fed);
    }
}
