namespace EdgeMdm.Edge.Batteries;

public static class BatteryRegistration
{
    // Issue 25 placeholder while the feature is built on its branch.
    public static IServiceCollection AddBatteries(this IServiceCollection services) => services;
}
