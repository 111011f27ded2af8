namespace EdgeMdm.Cloud.Rollouts;

public static class RolloutServices
{
    // AddLogging adds nothing where the host has logging already; a bare store provider (HubStorage.OpenAsync, the
    // operator commands) gets loggers that write nowhere, so the recorder can log a rollout started.
    public static IServiceCollection AddRollouts(this IServiceCollection services) => services
        .AddLogging()
        .AddSingleton<IRolloutStore, SqlRolloutStore>()
        .AddSingleton<IRolloutRecorder, SqlRolloutRecorder>()
        .AddSingleton<RolloutWaveMemory>()
        .AddSingleton<IRolloutReport, HubRolloutReport>()
        .AddHostedService<RolloutWatcher>();
}
