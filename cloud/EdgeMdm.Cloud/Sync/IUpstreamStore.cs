using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Sync;

/// <summary>What sites send up: their numbered change log (docs/adr/0001-sync-protocol.md).</summary>
public interface IUpstreamStore
{
    /// <summary>
    /// Applies, in one transaction holding the site's row lock, every change of the batch that continues the
    /// site's log: sorted by sequence, a sequence at or below <c>applied_through</c> is a duplicate and is
    /// skipped, the next one is applied and advances it, and application stops at the first gap. Returns the
    /// new <c>applied_through</c> (the highest contiguous sequence held), which is what the site may forget.
    /// </summary>
    Task<ulong> ApplyUpstreamAsync(string siteId, IReadOnlyList<SiteChange> changes, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The highest contiguous sequence applied for the site; 0 when nothing was (or the site is unknown).</summary>
    Task<ulong> AppliedThroughAsync(string siteId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records what the site said of its own sync in its Hello, at <paramref name="now"/>, which is also its
    /// last sync. A null <paramref name="report"/> (an appliance that does not report it) only sets last_sync_at.
    /// </summary>
    Task RecordHelloAsync(string siteId, SiteSyncReport? report, DateTimeOffset now, CancellationToken cancellationToken = default);
}
