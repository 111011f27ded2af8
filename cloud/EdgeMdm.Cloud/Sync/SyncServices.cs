namespace EdgeMdm.Cloud.Sync;

public static class SyncServices
{
    public static IServiceCollection AddSync(this IServiceCollection services)
    {
        services.AddSingleton<IUpstreamStore, SqlUpstreamStore>();
        services.AddSingleton<IFeedStore, SqlFeedStore>();
        services.AddSingleton<IFeedWriter, SqlFeedWriter>();
        services.AddSingleton<IStateDigest, SqlStateDigest>();
        return services;
    }

    /// <summary>The gRPC sync service, every call through <see cref="SiteAuthInterceptor"/>; mapped by the host.</summary>
    public static IServiceCollection AddSiteSyncService(this IServiceCollection services)
    {
        services.AddGrpc().AddServiceOptions<SiteSyncService>(grpc =>
        {
            grpc.Interceptors.Add<SiteAuthInterceptor>();
            // Compress what the hub sends when the site accepts gzip (grpc-accept-encoding); gzip requests are
            // accepted because gzip is among the default CompressionProviders.
            grpc.ResponseCompressionAlgorithm = "gzip";
            grpc.ResponseCompressionLevel = System.IO.Compression.CompressionLevel.Fastest;
        });
        return services;
    }
}
