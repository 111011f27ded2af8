using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Fleet;

internal sealed class SqlFleetProjection : IFleetProjection
{
    // An enrollment starts the device's status afresh, as the site does: nothing reported yet, not compliant; and it
    // records when, so the device reads "unknown" (not "stale") until it reports.
    private static readonly string EnrolledUpsert =
        DeviceUpsert("serial", "model", "manufacturer", "os_version", "agent_version", "group_name",
            "status_json", "compliant", "findings_json", "finding_count", "declarations_token", "enrolled_at");

    private static readonly string StatusUpsert =
        DeviceUpsert("status_json", "compliant", "findings_json", "finding_count", "declarations_token", "last_checkin");

    private static readonly string StateUpsert = DeviceUpsert("state");

    private static readonly string AssignmentUpsert = DeviceUpsert("group_name", "assignment");

    public Task ApplyAsync(HubSession session, string siteId, SiteChange change)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(change);
        return change.ChangeCase switch
        {
            SiteChange.ChangeOneofCase.Enrolled => ApplyEnrolledAsync(session, siteId, change),
            SiteChange.ChangeOneofCase.Status => session.ExecuteAsync(
                StatusUpsert,
                siteId, change.DeviceId, change.Status.StatusJson, change.Status.Compliant, FindingsJson(change.Status),
                change.Status.Findings.Count, change.Status.DeclarationsToken, change.Status.LastCheckinUnixMs),
            SiteChange.ChangeOneofCase.Transitioned => ApplyTransitionAsync(session, siteId, change),
            SiteChange.ChangeOneofCase.CommandResult => ApplyCommandResultAsync(session, siteId, change.CommandResult),
            SiteChange.ChangeOneofCase.CommandQueued => ApplyCommandQueuedAtSiteAsync(session, siteId, change),
            SiteChange.ChangeOneofCase.StagingStepReported => Staging.StagingStepReports.RecordAsync(session, siteId, change),
            SiteChange.ChangeOneofCase.StagingBatchCreated => ApplyStagingBatchCreatedAsync(session, siteId, change),
            // The device's group and assignment as the site set them (a swap, or an operator); a replay sets the same.
            SiteChange.ChangeOneofCase.DeviceReassigned => session.ExecuteAsync(
                AssignmentUpsert, siteId, change.DeviceId, change.DeviceReassigned.ToGroup,
                change.DeviceReassigned.ToAssignment.Length == 0 ? null : change.DeviceReassigned.ToAssignment),
            SiteChange.ChangeOneofCase.CustodyRecorded => CustodyRecords.RecordAsync(session, siteId, change),
            SiteChange.ChangeOneofCase.AuditRecorded => Audit.SiteAuditRecords.RecordAsync(session, siteId, change),
            // A kind this hub does not know yet (a newer appliance) still advances the log: skipping it is the
            // only choice that does not stall the site forever.
            _ => Task.CompletedTask,
        };
    }

    /// <summary>
    /// Records the transition and moves the device to its state. What a site re-sends as new sequences after the hub
    /// lost part of its log (a database restored from a backup) must not double the history: a transition from a state
    /// to itself is a restatement of the device's state (the lifecycle never moves so) and only sets it, and a repeat
    /// of the device's last recorded transition, while the device is in its target state, changes nothing.
    /// </summary>
    private static async Task ApplyTransitionAsync(HubSession s, string siteId, SiteChange change)
    {
        var t = change.Transitioned;
        var restated = string.Equals(t.FromState, t.ToState, StringComparison.Ordinal);
        if (!restated && await RepeatsLastAsync(s, siteId, change))
            return;
        if (!restated)
        {
            await s.ExecuteAsync(
                "INSERT INTO transitions (site_id, sequence, device_id, from_state, to_state, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                siteId, change.Sequence, change.DeviceId, t.FromState, t.ToState, t.Actor, t.Reason, change.AtUnixMs);
        }

        await s.ExecuteAsync(StateUpsert, siteId, change.DeviceId, t.ToState);
    }

    private static async Task<bool> RepeatsLastAsync(HubSession s, string siteId, SiteChange change)
    {
        var t = change.Transitioned;
        var device = await s.SingleOrDefaultAsync("SELECT state FROM devices WHERE site_id = ? AND device_id = ?", siteId, change.DeviceId);
        if (device is null || !string.Equals(device.Text(0), t.ToState, StringComparison.Ordinal))
            return false;
        var last = await s.SingleOrDefaultAsync(
            "SELECT from_state, to_state, actor, reason, at FROM transitions WHERE site_id = ? AND device_id = ? ORDER BY sequence DESC LIMIT 1",
            siteId, change.DeviceId);
        return last is not null
            && string.Equals(last.Text(0), t.FromState, StringComparison.Ordinal) && string.Equals(last.Text(1), t.ToState, StringComparison.Ordinal)
            && string.Equals(last.Text(2), t.Actor, StringComparison.Ordinal) && string.Equals(last.Text(3), t.Reason, StringComparison.Ordinal)
            && last.Long(4) == change.AtUnixMs;
    }

    /// <summary>
    /// Records a command a site operator queued, once (by id; an id the hub already holds, its own or another
    /// site's, is left alone). Its results follow it in the site's log and move it on as for the hub's own.
    /// </summary>
    /// <summary>
    /// The device's facts; and its staging batch when a batch's token enrolled it. An enrollment without one (a plain
    /// token, or the snapshot a site re-sends, which does not carry it) leaves the batch the hub knows.
    /// </summary>
    private static async Task ApplyEnrolledAsync(HubSession s, string siteId, SiteChange change)
    {
        var enrolled = change.Enrolled;
        await s.ExecuteAsync(
            EnrolledUpsert,
            siteId, change.DeviceId, enrolled.Serial, enrolled.Model, enrolled.Manufacturer, enrolled.OsVersion, enrolled.AgentVersion, enrolled.Group,
            "{}", false, "[]", 0, "", change.AtUnixMs);
        if (enrolled.BatchId.Length > 0)
            await s.ExecuteAsync("UPDATE devices SET staging_batch_id = ? WHERE site_id = ? AND device_id = ?", enrolled.BatchId, siteId, change.DeviceId);
    }

    /// <summary>A batch is an event: recorded once, whatever a replay sends again.</summary>
    private static async Task ApplyStagingBatchCreatedAsync(HubSession s, string siteId, SiteChange change)
    {
        var batch = change.StagingBatchCreated;
        await s.ExecuteAsync(
            """
            INSERT INTO staging_batches (site_id, batch_id, group_name, plan_name, device_count, expires_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (site_id, batch_id) DO NOTHING
            """,
            siteId, batch.BatchId, batch.Group, batch.Plan, (long)batch.Count, batch.ExpiresUnixMs, change.AtUnixMs);
    }

    private static async Task ApplyCommandQueuedAtSiteAsync(HubSession s, string siteId, SiteChange change)
    {
        var queued = change.CommandQueued;
        var parameters = JsonSerializer.Serialize(CanonicalHash.Sorted(queued.Parameters), CloudJson.Default.SortedDictionaryStringString);
        await s.ExecuteAsync(
            """
            INSERT INTO commands (command_id, site_id, device_id, type, parameters_json, status, created_by, created_at, expires_at, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (command_id) DO NOTHING
            """,
            queued.CommandId, siteId, change.DeviceId, queued.Type, parameters, CommandStatuses.Queued,
            queued.CreatedBy, change.AtUnixMs, queued.ExpiresUnixMs == 0 ? null : queued.ExpiresUnixMs, "queued at the site");
    }

    /// <summary>
    /// Moves a command forward only: queued → delivered → succeeded | failed | expired. A final status is
    /// never replaced, and a late "delivered" never undoes a result. Only the command's own site may report.
    /// </summary>
    private static Task ApplyCommandResultAsync(HubSession s, string siteId, CommandResultReported result) => result.Status switch
    {
        CommandStatuses.Delivered => s.ExecuteAsync(
            "UPDATE commands SET status = ? WHERE command_id = ? AND site_id = ? AND status = ?",
            CommandStatuses.Delivered, result.CommandId, siteId, CommandStatuses.Queued),
        CommandStatuses.Succeeded or CommandStatuses.Failed or CommandStatuses.Expired => s.ExecuteAsync(
            "UPDATE commands SET status = ?, message = ?, finished_at = ? WHERE command_id = ? AND site_id = ? AND status IN (?, ?)",
            result.Status, result.Message, result.FinishedUnixMs, result.CommandId, siteId, CommandStatuses.Queued, CommandStatuses.Delivered),
        _ => Task.CompletedTask,
    };

    /// <summary>
    /// Sets the device's <paramref name="columns"/> (parameters after site_id and device_id, in this order), adding the
    /// device's row when this change is the first the hub hears of it.
    /// </summary>
    private static string DeviceUpsert(params string[] columns) =>
        $"INSERT INTO devices (site_id, device_id, {string.Join(", ", columns)}) VALUES (?, ?{string.Concat(columns.Select(_ => ", ?"))}) " +
        $"ON CONFLICT (site_id, device_id) DO UPDATE SET {string.Join(", ", columns.Select(c => $"{c} = excluded.{c}"))}";

    private static string FindingsJson(StatusReported status) => JsonSerializer.Serialize(
        status.Findings.Select(f => new StoredFinding(f.Item, f.Expected, f.Actual, f.Severity)).ToList(),
        FleetJson.Default.ListStoredFinding);
}
