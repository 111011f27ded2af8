using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Telemetry;
using EdgeMdm.Edge.Sync;
using EdgeMdm.Edge.Web;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Checkin;

public static class CheckinRegistration
{
    public static IServiceCollection AddCheckin(this IServiceCollection services)
    {
        services.AddSingletonServing<DeclarationsCatalog>(typeof(IDeclarations), typeof(IPinnedPackages), typeof(IFeedObserver));
        services.AddSingletonServing<CheckinService>(typeof(ICheckinStore), typeof(IDeviceDeclarations));
        services.AddSingleton<IDriftReport, DriftReport>();
        services.AddSingleton<DeclarationVersions>();
        // Partitioned by device when the credential is known (authentication runs first), else by address.
        services.AddPerSecondLimit<CheckinLimitOptions>(
            CheckinLimitOptions.Policy,
            nameof(CheckinLimitOptions.CheckinsPerSecondPerDevice),
            options => options.CheckinsPerSecondPerDevice,
            http => http.User.Identity?.IsAuthenticated == true ? http.User.SecretHash() : RateLimits.RemoteAddress(http));
        services.AddFeatureMetrics<CheckinMetrics>();
        return services.AddEndpoints(CheckinEndpoints.Map);
    }
}
