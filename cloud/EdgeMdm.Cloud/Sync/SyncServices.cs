using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Sync;

public static class SyncServices
{
    /// <summary>The largest message a site may send the hub.</summary>
    public const int MaxReceiveMessageBytes = 4 * 1024 * 1024;

    /// <summary>The largest message the hub sends a site: the appliance's own receive limit.</summary>
    public const int MaxSendMessageBytes = 8 * 1024 * 1024;

    public static IServiceCollection AddSync(this IServiceCollection services) => services
        .AddSingleton<IUpstreamStore, SqlUpstreamStore>()
        .AddSingleton<IFeedStore, SqlFeedStore>()
        .AddSingleton<IFeedWriter, SqlFeedWriter>()
        .AddSingleton<IStateDigest, SqlStateDigest>();

    /// <summary>
    /// The gRPC sync service, its authentication scheme (<see cref="SiteCredential"/>), the <c>Site</c> policy and the
    /// rate limits (<see cref="SyncLimitOptions"/>); mapped by the host with <see cref="MapSiteSync"/>.
    /// </summary>
    public static IServiceCollection AddSiteSyncService(this IServiceCollection services)
    {
        services.AddAuthentication().AddSiteCredential();
        services.AddAuthorizationBuilder().AddPolicy(SiteCredential.Policy, policy => policy
            .AddAuthenticationSchemes(SiteCredential.Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(SiteCredential.SiteIdClaim));
        services.AddHttpContextAccessor();
        services.AddSingleton<UpstreamGaps>();
        services.AddSingleton<IServiceMethodProvider<SiteSyncService>, SiteSyncMethods>();
        services.AddOptions<SyncLimitOptions>().BindConfiguration(SyncLimitOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SyncLimitOptions>, SyncLimitOptions.Validator>();
        services.AddSingleton<SyncLimitRefusals>();
        services.AddRateLimiter(limiter => limiter.AddPolicy<string, SyncAddressLimit>(SyncAddressLimit.Policy));
        // A singleton, so that one set of buckets counts every call (grpc-dotnet takes an interceptor from the container).
        services.AddSingleton<SiteCallLimit>();
        services.AddSingleton<StoreFaultAnswers>();
        services.AddGrpc().AddServiceOptions<SiteSyncService>(grpc =>
        {
            grpc.Interceptors.Add<SiteCallLimit>();
            grpc.Interceptors.Add<StoreFaultAnswers>();
            // A push batch is at most 500 changes; anything larger is refused (RESOURCE_EXHAUSTED) before it is parsed.
            // What the hub sends stays within what the appliance accepts (HubChannel: 8 MiB), so an oversized reply
            // fails here, with the hub's log saying so, rather than as a puzzle at the site.
            grpc.MaxReceiveMessageSize = MaxReceiveMessageBytes;
            grpc.MaxSendMessageSize = MaxSendMessageBytes;
            // Compress what the hub sends when the site accepts gzip (grpc-accept-encoding); gzip requests are
            // accepted because gzip is among the default CompressionProviders.
            grpc.ResponseCompressionAlgorithm = "gzip";
            grpc.ResponseCompressionLevel = System.IO.Compression.CompressionLevel.Fastest;
        });
        return services;
    }

    /// <summary>
    /// Maps <c>SiteSync</c> with every endpoint requiring the <c>Site</c> policy and the per-address rate limit: its methods and the catch-alls
    /// grpc-dotnet maps beside them for unknown services and methods (UNIMPLEMENTED), which take the conventions of the
    /// first service mapped. So no gRPC endpoint is left to the fallback policy, and an unknown method tells nothing to
    /// a caller without a credential.
    /// </summary>
    public static IEndpointRouteBuilder MapSiteSync(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<SiteSyncService>().RequireAuthorization(SiteCredential.Policy).RequireRateLimiting(SyncAddressLimit.Policy);
        return app;
    }
}
