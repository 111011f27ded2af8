using EdgeMdm.Cloud.Tenants;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Rollouts;

/// <summary>
/// Logs what a person wants to see a rollout do (<see cref="RolloutLog"/>): every <see cref="HubOptions.RolloutWatchInterval"/>
/// it reports every tenant's current rollouts as the API does and logs what changed since the round before: a wave
/// opened, a wave advanced and why, a halt, a site or the whole rollout finished. What it has seen is kept in memory:
/// after a restart it logs where each unfinished rollout stands once, and nothing for those already finished.
/// </summary>
internal sealed class RolloutWatcher(
    ITenantStore tenants, IRolloutStore rollouts, IFleetReadStore fleet, IPackageStore packages, RolloutWaveMemory memory,
    TimeProvider time, IOptions<HubOptions> options, ILogger<RolloutWatcher> logger) : BackgroundService
{
    private readonly Dictionary<(string Rollout, string Site), SiteSeen> _sites = [];
    private readonly Dictionary<string, bool> _finished = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WatchOnceAsync(stoppingToken);
                await Task.Delay(options.Value.RolloutWatchInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The watcher only logs: a failed round (the database away) must not stop the hub; the next one tries again.
                RolloutLog.WatchFailed(logger, exception);
                await Task.Delay(options.Value.RolloutWatchInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One round: report every tenant's current rollouts and log what changed.</summary>
    internal async Task WatchOnceAsync(CancellationToken cancellationToken)
    {
        var reporter = new RolloutReporter(rollouts, fleet, packages, memory);
        foreach (var tenant in await tenants.ListTenantsAsync(cancellationToken))
        {
            var views = await reporter.ReportAsync(tenant.TenantId, null, null, time.GetUtcNow(), options.Value.RolloutOfflineAfter, cancellationToken);
            foreach (var view in views)
                Observe(view);
        }
    }

    private void Observe(RolloutView view)
    {
        foreach (var site in view.Sites)
        {
            var key = (view.RolloutId, site.SiteId);
            var seen = _sites.GetValueOrDefault(key);
            _sites[key] = new SiteSeen(site.OpenWaves, site.Finished, site.Halted);
            if (seen is null && site.Finished)
                continue;
            LogWaves(view, site, seen);
            if (site.Halted is { } reason && !string.Equals(reason, seen?.Halted, StringComparison.Ordinal))
                RolloutLog.Halted(logger, view.RolloutId, view.PackageName, view.ToVersionName, view.Group, site.SiteId, reason);
        }

        // A rollout first seen finished (the hub restarted) is not announced again.
        var known = _finished.TryGetValue(view.RolloutId, out var wasFinished);
        _finished[view.RolloutId] = view.Finished;
        if (view.Finished && known && !wasFinished)
            RolloutLog.Finished(logger, view.RolloutId, view.PackageName, view.ToVersionName, view.Group, view.Total.Installed, view.Total.Devices);
    }

    private void LogWaves(RolloutView view, SiteRolloutView site, SiteSeen? seen)
    {
        var waves = site.Waves;
        var from = seen is null ? site.OpenWaves - 1 : seen.OpenWaves;
        if (seen is not null)
        {
            for (var wave = seen.OpenWaves - 1; wave < site.OpenWaves - 1; wave++)
                Advanced(view, site, waves[wave]);
        }

        for (var wave = from; wave < site.OpenWaves; wave++)
        {
            RolloutLog.WaveOpened(
                logger, view.RolloutId, view.PackageName, view.ToVersionName, view.Group, site.SiteId, wave + 1, waves.Count, waves[wave].Label, waves[wave].Devices);
        }

        if (site.Finished && seen is not { Finished: true })
        {
            Advanced(view, site, waves[^1]);
            var stragglers = view.Stragglers.Count(s => string.Equals(s.SiteId, site.SiteId, StringComparison.Ordinal));
            RolloutLog.SiteFinished(
                logger, view.RolloutId, view.PackageName, view.ToVersionName, view.Group, site.SiteId, site.Counts.Installed, site.Counts.Devices, stragglers);
        }
    }

    private void Advanced(RolloutView view, SiteRolloutView site, WaveView wave) =>
        RolloutLog.WaveAdvanced(
            logger, view.RolloutId, view.PackageName, view.ToVersionName, view.Group, site.SiteId, wave.Wave + 1, wave.Label,
            wave.AdvancedBy ?? "threshold", wave.Installed + wave.Failed + wave.Incompatible, wave.Devices, wave.Stragglers);

    private sealed record SiteSeen(int OpenWaves, bool Finished, string? Halted);
}
