using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Discovery;

public static class DiscoveryRegistration
{
    public static IServiceCollection AddDiscovery(this IServiceCollection services)
    {
        services.AddValidatedOptions<MdnsOptions, MdnsOptionsValidator>(MdnsOptionsValidator.Section);
        services.AddFeatureMetrics<MdnsCounters>();
        // Waits for Kestrel to listen (the advertised port is its real one); never delays startup.
        services.AddHostedService<MdnsResponderService>();
        return services;
    }
}
