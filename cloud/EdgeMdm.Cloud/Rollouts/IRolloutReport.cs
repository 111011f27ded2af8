using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Rollouts;

/// <summary>
/// The rollout report central IT reads (<c>GET /api/v1/rollouts</c>, the console's rollouts page): each group's current
/// rollout with its devices judged from what the sites reported, per site and across sites, now.
/// </summary>
public interface IRolloutReport
{
    /// <summary>
    /// One view per group with a current rollout of <paramref name="packageName"/> (of every package when null), by
    /// package then group; empty when there is none. <paramref name="siteId"/> limits the devices to one site.
    /// </summary>
    Task<IReadOnlyList<RolloutView>> ReportAsync(string tenantId, string? packageName, string? siteId, CancellationToken cancellationToken = default);
}

/// <summary><see cref="RolloutReporter"/> at the hub's clock and offline window (<c>Cloud:RolloutOfflineAfter</c>), with the waves the hub saw open.</summary>
internal sealed class HubRolloutReport(
    IRolloutStore rollouts, IFleetReadStore fleet, IPackageStore packages, RolloutWaveMemory memory, TimeProvider time, IOptions<HubOptions> options) : IRolloutReport
{
    public Task<IReadOnlyList<RolloutView>> ReportAsync(string tenantId, string? packageName, string? siteId, CancellationToken cancellationToken = default) =>
        new RolloutReporter(rollouts, fleet, packages, memory)
            .ReportAsync(tenantId, packageName, siteId, time.GetUtcNow(), options.Value.RolloutOfflineAfter, cancellationToken);
}
