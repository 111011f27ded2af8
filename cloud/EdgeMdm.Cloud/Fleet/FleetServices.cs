namespace EdgeMdm.Cloud.Fleet;

public static class FleetServices
{
    public static IServiceCollection AddFleet(this IServiceCollection services) => services
        .AddDangerousActionOptions()
        .AddSingleton<IFleetReadStore, SqlFleetReadStore>()
        .AddSingleton<SqlCommandStore>()
        .AddSingleton<ICommandStore>(services => services.GetRequiredService<SqlCommandStore>())
        .AddSingleton<IApprovalStore, SqlApprovalStore>()
        .AddSingleton<IFleetProjection, SqlFleetProjection>()
        .AddSingleton<DeviceViews>()
        .AddSingleton<CommandSender>();

    private static IServiceCollection AddDangerousActionOptions(this IServiceCollection services)
    {
        services.AddOptions<Domain.Security.DangerousActionSettings>().BindConfiguration(HubDangerousActionOptions.Section).ValidateOnStart();
        return services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<Domain.Security.DangerousActionSettings>, HubDangerousActionOptionsValidator>();
    }
}
