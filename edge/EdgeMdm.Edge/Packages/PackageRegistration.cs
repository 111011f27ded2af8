using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using EdgeMdm.Edge.Telemetry;
using EdgeMdm.Edge.Web;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Packages;

public static class PackageRegistration
{
    /// <summary>The catalog, the cache index, the blob cache with its maintenance and fetcher, and the downloads.</summary>
    public static IServiceCollection AddPackages(this IServiceCollection services)
    {
        PackageOptionsValidator.Register(services);
        services.AddSingletonServing<PackageCatalogStore>(typeof(IPackageCatalog), typeof(IFeedHandler));
        services.AddSingleton<IPackageCacheStore, PackageCacheIndex>();
        services.AddEndpoints(PackageDownloads.Map);
        services.AddSingleton<BlobCache>();
        services.AddFeatureMetrics<CacheMetrics>();
        services.AddSingleton<DownloadCounters>();
        services.AddSingleton(_ => new CopierThreads("package copier", Math.Max(2, Environment.ProcessorCount)));
        services.AddHostedService<BlobCacheMaintenance>();
        // Does nothing without a hub; like the sync worker, never awaited by startup.
        services.AddHostedService<PackageFetcher>();
        return services;
    }
}
