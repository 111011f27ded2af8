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
               d.status_json, d.compliant, d.finding_count, d.last_checkin, d.assignment
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

    public async Task<IReadOnlyList<DeviceRecord>> FindDeviceAsync(string tenantId, string deviceId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        return (await s.QueryAsync(SelectTenantDevices + " AND d.device_id = ? ORDER BY d.site_id", tenantId, deviceId)).Select(DeviceOf).ToList();
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
        r.Bool(10), (int)r.Long(11), r.NullableTime(12), r.NullableText(13));

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

    public async Task<IReadOnlyList<SiteCompliance>> ComplianceAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            """
            SELECT d.site_id, count(*), sum(CASE WHEN d.compliant THEN 1 ELSE 0 END)
            FROM devices d JOIN sites s ON s.site_id = d.site_id
            WHERE s.tenant_id = ? GROUP BY d.site_id ORDER BY d.site_id
            """,
            tenantId);
        return rows.Select(r => new SiteCompliance(r.Text(0), (int)r.Long(1), (int)r.Long(2))).ToList();
    }
}
