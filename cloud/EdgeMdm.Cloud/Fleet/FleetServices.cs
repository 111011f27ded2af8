namespace EdgeMdm.Cloud.Fleet;

public static class FleetServices
{
    public static IServiceCollection AddFleet(this IServiceCollection services) => services
        .AddSingleton<IFleetReadStore, SqlFleetReadStore>()
        .AddSingleton<ICommandStore, SqlCommandStore>()
        .AddSingleton<IFleetProjection, SqlFleetProjection>()
        .AddSingleton<DeviceViews>()
        .AddSingleton<CommandSender>();
}
