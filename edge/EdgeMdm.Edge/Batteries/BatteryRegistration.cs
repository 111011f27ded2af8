using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Batteries;

public static class BatteryRegistration
{
    /// <summary>Battery samples from check-ins, shift readiness and missing devices, their commands and endpoints.</summary>
    public static IServiceCollection AddBatteries(this IServiceCollection services)
    {
        services.AddValidatedOptions<BatteryOptions, BatteryOptionsValidator>(BatteryOptions.Section);
        services.AddValidatedOptions<ShiftOptions, ShiftOptionsValidator>(ShiftOptions.Section);
        services.AddSingleton<BatterySamples>();
        services.AddSingleton<ICheckinObserver>(sp => sp.GetRequiredService<BatterySamples>());
        services.AddSingleton<ShiftCalendar>();
        services.AddSingleton<ShiftReportStore>();
        services.AddSingletonServing<FloorReports>(typeof(IFloorReports));
        services.AddSingleton<ShiftWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<ShiftWorker>());
        return services.AddEndpoints(FloorEndpoints.Map);
    }
}
