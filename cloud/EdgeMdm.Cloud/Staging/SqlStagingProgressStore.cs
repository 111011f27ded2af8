using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Staging;

/// <summary>What the upstream calls for a <c>StagingStepReported</c> change (the fleet projection dispatches it here).</summary>
public static class StagingStepReports
{
    /// <summary>
    /// Records one reported step change in the upstream's transaction (the one that moves the site's log past it, so it
    /// counts once). A change already held under another sequence (a site that numbered its log again) changes nothing.
    /// </summary>
    internal static Task RecordAsync(HubSession session, string siteId, SiteChange change)
    {
        var r = change.StagingStepReported;
        return session.ExecuteAsync(
            """
            INSERT INTO staging_step_reports (site_id, sequence, device_id, plan_name, plan_hash, step_id, kind, state, attempts, error, started_at, finished_at, reported_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """,
            siteId, change.Sequence, change.DeviceId, r.Plan, r.PlanHash, r.StepId, r.Kind, r.State, (long)r.Attempts,
            r.Error.Length == 0 ? null : r.Error, r.StartedUnixMs == 0 ? null : r.StartedUnixMs, r.FinishedUnixMs == 0 ? null : r.FinishedUnixMs,
            change.AtUnixMs);
    }
}

internal sealed class SqlStagingProgressStore(IHubDatabase db) : IStagingProgressStore
{
    public async Task<IReadOnlyList<StagingStepRecord>?> SiteProgressAsync(string tenantId, string siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM sites WHERE site_id = ? AND tenant_id = ?", siteId, tenantId) is null)
            return null;
        var rows = await s.QueryAsync(
            """
            SELECT r.device_id, r.plan_name, r.plan_hash, r.step_id, r.kind, r.state, r.attempts, r.error, r.started_at, r.finished_at, r.reported_at
            FROM staging_step_reports r
            WHERE r.site_id = ? AND r.sequence = (SELECT MAX(l.sequence) FROM staging_step_reports l WHERE l.site_id = r.site_id AND l.device_id = r.device_id AND l.step_id = r.step_id)
            ORDER BY r.device_id, (SELECT MIN(f.sequence) FROM staging_step_reports f WHERE f.site_id = r.site_id AND f.device_id = r.device_id AND f.step_id = r.step_id)
            """,
            siteId);
        return rows.Select(r => new StagingStepRecord(
            r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), (int)r.Long(6), r.NullableText(7),
            r.NullableTime(8), r.NullableTime(9), r.Time(10))).ToList();
    }
}
