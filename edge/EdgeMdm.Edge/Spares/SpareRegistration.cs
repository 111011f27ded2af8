using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Spares;

public static class SpareRegistration
{
    public static IServiceCollection AddSpares(this IServiceCollection services)
    {
        services.AddValidatedOptions<SpareOptions, SpareOptionsValidator>(SpareOptions.Section);
        services.AddSingletonServing<SparePools>(typeof(ISparePools), typeof(ISpareAdmin));
        services.AddSingletonServing<SwapService>(typeof(ISwaps));
        services.AddHostedService<SpareMonitor>();
        return services.AddEndpoints(SwapEndpoints.Map);
    }
}
