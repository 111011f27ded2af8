using SQLite;

namespace EdgeMdm.Edge.Rollouts;

/// <summary>
/// Keeps the rollout tracker current: judges the site's rollouts again soon after a check-in changed a device's
/// outcome (pulses that come during a refresh fold into one more), and every few seconds anyway, so that devices
/// going silent turn offline and a maintenance window's wave counts stay fresh without anyone checking in.
/// </summary>
internal sealed partial class RolloutRefresher(ISiteRollouts rollouts, TimeProvider clock, ILogger<RolloutRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var stale = rollouts.Tracker.Stale;
        var seen = stale.Version;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await stale.WaitAsync(seen, Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            seen = stale.Version;
            try
            {
                rollouts.Refresh(clock.GetUtcNow());
            }
            catch (SQLiteException exception)
            {
                // The last published progress stays in force; the next round tries again.
                RefreshFailed(logger, exception.Message);
            }
        }
    }

    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Rollout progress not refreshed: {Error}")]
    private static partial void RefreshFailed(ILogger logger, string error);
}

public static class RolloutRegistration
{
    public static IServiceCollection AddRollouts(this IServiceCollection services)
    {
        services.AddSingleton<ISiteRollouts, SiteRollouts>();
        services.AddHostedService<RolloutRefresher>();
        return services;
    }
}
