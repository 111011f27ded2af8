namespace EdgeMdm.Cloud.Staging;

public static class StagingServices
{
    public static IServiceCollection AddStaging(this IServiceCollection services) => services
        .AddSingleton<StagingPlanProtection>()
        .AddSingleton<IStagingPlanStore, SqlStagingPlanStore>()
        .AddSingleton<IStagingProgressStore, SqlStagingProgressStore>();
}
