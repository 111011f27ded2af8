using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// Sync owns a site's log position (<c>applied_through</c> and the Hello report on the site's row); what each change
/// means for devices, transitions and commands is the fleet's to write, in this transaction (<see cref="IFleetProjection"/>).
/// </summary>
internal sealed class SqlUpstreamStore(IHubDatabase db, IFleetProjection fleet, HubMetrics metrics) : IUpstreamStore
{
    public async Task<ulong> ApplyUpstreamAsync(string siteId, IReadOnlyList<SiteChange> changes, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await using var s = await db.BeginAsync(write: true, cancellationToken);

        // The site's row lock makes concurrent deliveries of the same batch (two replicas, a retried stream)
        // apply one after the other; the second sees the first's applied_through and skips everything.
        var site = await s.SingleOrDefaultAsync("SELECT applied_through FROM sites WHERE site_id = ?" + db.ForUpdate, siteId)
            ?? throw new StoreConflictException($"unknown site '{siteId}'");
        var applied = site.ULong(0);
        foreach (var change in changes.OrderBy(c => c.Sequence))
        {
            if (change.Sequence <= applied)
                continue; // already held: a duplicate or a replay
            if (change.Sequence != applied + 1)
                break; // a gap: wait for the missing change, never apply past it
            await fleet.ApplyAsync(s, siteId, change);
            applied = change.Sequence;
        }

        await s.ExecuteAsync("UPDATE sites SET applied_through = ?, last_sync_at = ? WHERE site_id = ?", applied, now.ToUnixTimeMilliseconds(), siteId);
        await s.CommitAsync();
        metrics.ChangesApplied(applied - site.ULong(0));
        return applied;
    }

    public async Task<ulong> AppliedThroughAsync(string siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        return (await s.SingleOrDefaultAsync("SELECT applied_through FROM sites WHERE site_id = ?", siteId))?.ULong(0) ?? 0;
    }

    public async Task RecordHelloAsync(string siteId, SiteSyncReport? report, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        var nowMs = now.ToUnixTimeMilliseconds();
        var updated = report is null
            ? await s.ExecuteAsync("UPDATE sites SET last_sync_at = ? WHERE site_id = ?", nowMs, siteId)
            : await s.ExecuteAsync(
                """
                UPDATE sites SET last_sync_at = ?, reported_at = ?, uplink_state = ?, outbox_depth = ?, outbox_head = ?,
                    oldest_pending_at = ?, site_last_sync_at = ?
                WHERE site_id = ?
                """,
                nowMs, nowMs, report.UplinkState, (long)report.OutboxDepth, (long)report.OutboxHead,
                report.OldestPendingAt?.ToUnixTimeMilliseconds(), report.SiteLastSyncAt?.ToUnixTimeMilliseconds(), siteId);
        if (updated == 0)
            throw new StoreConflictException($"unknown site '{siteId}'");
        await s.CommitAsync();
    }
}
