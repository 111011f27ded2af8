using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>What a change from a site's log does to the hub's devices, transitions and commands.</summary>
internal interface IFleetProjection
{
    /// <summary>
    /// Applies one change of the site's log inside the caller's transaction, the one that advances the site's
    /// log position past it (Sync/), so a change is applied exactly when it counts as applied.
    /// </summary>
    Task ApplyAsync(HubSession session, string siteId, SiteChange change);
}
