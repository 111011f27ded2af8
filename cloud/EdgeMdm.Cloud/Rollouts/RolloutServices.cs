namespace EdgeMdm.Cloud.Rollouts;

public static class RolloutServices
{
    public static IServiceCollection AddRollouts(this IServiceCollection services) => services
        .AddSingleton<IRolloutStore, SqlRolloutStore>()
        .AddSingleton<IRolloutRecorder, SqlRolloutRecorder>()
        .AddSingleton<RolloutWaveMemory>()
        .AddHostedService<RolloutWatcher>();
}
