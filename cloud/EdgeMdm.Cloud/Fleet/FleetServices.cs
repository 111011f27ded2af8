namespace EdgeMdm.Cloud.Fleet;

public static class FleetServices
{
    public static IServiceCollection AddFleet(this IServiceCollection services)
    {
        services.AddSingleton<IFleetReadStore, SqlFleetReadStore>();
        services.AddSingleton<ICommandStore, SqlCommandStore>();
        services.AddSingleton<IFleetProjection, SqlFleetProjection>();
        return services;
    }
}
