using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Cradles.Gpio;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Telemetry;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Cradles;

public static class CradleRegistration
{
    /// <summary>
    /// The floor model (<see cref="ICradleFloor"/>), its three sources (GPIO, networked cradles through the broker,
    /// device reports at check-in), the LEDs, <c>edgemdm.cradles.telemetry</c> and <c>GET /api/v1/cradles</c>.
    /// </summary>
    public static IServiceCollection AddCradles(this IServiceCollection services)
    {
        services.AddValidatedOptions<CradleOptions, CradleOptionsValidator>(CradleOptions.Section);
        services.AddFeatureMetrics<CradleMetrics>();
        services.AddSingleton<CradleStore>();
        services.AddSingleton<SimulatedGpioDriver>();
        services.AddSingleton<GpioCradleBay>();
        services.AddHostedService(sp => sp.GetRequiredService<GpioCradleBay>());
        services.AddSingleton<CradleLedDriver>();
        services.AddHostedService(sp => sp.GetRequiredService<CradleLedDriver>());
        services.AddSingleton<ICradleFloor, CradleFloor>();
        services.AddSingleton<ICradleTelemetrySink, CradleTelemetryIngest>();
        services.AddSingleton<ICheckinObserver, DockObserver>();
        return services.AddEndpoints(CradleEndpoints.Map);
    }
}
