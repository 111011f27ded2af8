using System.Text.Json;
using EdgeMdm.Domain.Drift;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>
/// Devices and transitions carry only their site's id; the join with sites is what scopes a read model to one
/// tenant in one query, so these reads join the Sites/ table rather than asking <see cref="Sites.ISiteDirectory"/> first.
/// </summary>
internal sealed class SqlFleetReadStore(IHubDatabase db) : IFleetReadStore
{
    /// <summary>Devices of one tenant's sites: the query's first parameter is the tenant id.</summary>
    private const string SelectTenantDevices = """
        SELECT d.site_id, d.device_id, d.serial, d.model, d.manufacturer, d.os_version, d.agent_version, d.group_name, d.state,
               d.status_json, d.compliant, d.finding_count, d.last_checkin, d.assignment, d.enrolled_at, d.findings_json
        FROM devices d JOIN sites s ON s.site_id = d.site_id
        WHERE s.tenant_id = ?
        """;

    public async Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(string tenantId, string? siteId = null, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = siteId is null
            ? await s.QueryAsync(SelectTenantDevices + " ORDER BY d.site_id, d.device_id", tenantId)
            : await s.QueryAsync(SelectTenantDevices + " AND d.site_id = ? ORDER BY d.device_id", tenantId, siteId);
        return rows.Select(DeviceOf).ToList();
    }

    public async Task<IReadOnlyList<DeviceRecord>> FindDeviceAsync(string tenantId, string deviceIdOrSerial, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var found = (await s.QueryAsync(SelectTenantDevices + " AND (d.device_id = ? OR d.serial = ?) ORDER BY d.site_id", tenantId, deviceIdOrSerial, deviceIdOrSerial))
            .Select(DeviceOf)
            .ToList();
        // An id wins over a serial that happens to be the same text.
        var byId = found.Where(d => string.Equals(d.DeviceId, deviceIdOrSerial, StringComparison.Ordinal)).ToList();
        return byId.Count > 0 ? byId : found;
    }

    public async Task<IReadOnlyList<DeviceRecord>> ListGroupAsync(string tenantId, string group, string? siteId = null, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        const string Where = " AND d.group_name = ? AND d.state <> 'Retired'";
        var rows = siteId is null
            ? await s.QueryAsync(SelectTenantDevices + Where + " ORDER BY d.site_id, d.device_id", tenantId, group)
            : await s.QueryAsync(SelectTenantDevices + Where + " AND d.site_id = ? ORDER BY d.device_id", tenantId, group, siteId);
        return rows.Select(DeviceOf).ToList();
    }

    private static DeviceRecord DeviceOf(Row r) => new(
        r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7), r.Text(8), r.Text(9),
        r.Bool(10), (int)r.Long(11), r.NullableTime(12), r.NullableText(13))
    {
        EnrolledAt = r.NullableTime(14),
        FindingsJson = r.Text(15),
    };

    internal static List<DeviceFinding> Findings(string json)
    {
        try
        {
            return (JsonSerializer.Deserialize(json, FleetJson.Default.ListStoredFinding) ?? [])
                .Select(f => new DeviceFinding(f.Item ?? "", f.Expected ?? "", f.Actual ?? "", f.Severity ?? ""))
                .ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public async Task<IReadOnlyList<TransitionRecord>> ListTransitionsAsync(string tenantId, string siteId, string deviceId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            """
            SELECT t.sequence, t.from_state, t.to_state, t.actor, t.reason, t.at
            FROM transitions t JOIN sites s ON s.site_id = t.site_id
            WHERE s.tenant_id = ? AND t.site_id = ? AND t.device_id = ? ORDER BY t.sequence
            """,
            tenantId, siteId, deviceId);
        return rows.Select(r => new TransitionRecord(r.ULong(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Time(5))).ToList();
    }

    public async Task<IReadOnlyList<SiteTransitionRecord>> ListRecentTransitionsAsync(string tenantId, string? siteId, int limit, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            """
            SELECT t.site_id, t.device_id, t.sequence, t.from_state, t.to_state, t.actor, t.reason, t.at
            FROM transitions t JOIN sites s ON s.site_id = t.site_id
            WHERE s.tenant_id = ? AND (? = '' OR t.site_id = ?)
            ORDER BY t.at DESC, t.site_id, t.sequence DESC LIMIT ?
            """,
            tenantId, siteId ?? "", siteId ?? "", (long)Math.Max(0, limit));
        return rows.Select(r => new SiteTransitionRecord(r.Text(0), r.Text(1), new TransitionRecord(r.ULong(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Time(7)))).ToList();
    }

    /// <summary>Classified here, not in SQL: the one rule is the Domain's (<see cref="ComplianceClassifier"/>).</summary>
    public async Task<IReadOnlyList<SiteCompliance>> ComplianceAsync(string tenantId, DateTimeOffset now, TimeSpan staleAfter, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            """
            SELECT d.site_id, d.status_json, d.compliant, d.enrolled_at, d.last_checkin
            FROM devices d JOIN sites s ON s.site_id = d.site_id
            WHERE s.tenant_id = ? AND d.state <> 'Retired' ORDER BY d.site_id
            """,
            tenantId);
        return rows
            .Select(r => (Site: r.Text(0), State: ComplianceClassifier.Classify(
                new DeviceCompliance(ComplianceClassifier.HasReported(r.Text(1)), r.Bool(2), r.NullableTime(3), r.NullableTime(4)), now, staleAfter)))
            .GroupBy(d => d.Site, StringComparer.Ordinal)
            .Select(g => new SiteCompliance(
                g.Key, g.Count(), g.Count(d => d.State == ComplianceState.Compliant), g.Count(d => d.State == ComplianceState.NonCompliant),
                g.Count(d => d.State == ComplianceState.Unknown), g.Count(d => d.State == ComplianceState.Stale)))
            .ToList();
    }
}
