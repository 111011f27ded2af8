using Npgsql;
using SQLite;

namespace EdgeMdm.Testing;

// Shared by the end-to-end tests and the drills (linked into both): what a site's and a hub's databases hold of the same
// records, read into the same rows, so that each can compare the two its own way.

/// <summary>A device as both sides keep it: the site's <c>devices</c> row, the hub's for that site.</summary>
internal sealed record DeviceView
{
    public string DeviceId { get; set; } = "";
    public string Serial { get; set; } = "";
    public string State { get; set; } = "";
    public string Status { get; set; } = "";
    public int Compliant { get; set; }
    public string GroupName { get; set; } = "";
}

/// <summary>One lifecycle transition (one event: at the hub once per site transition).</summary>
internal sealed record TransitionView
{
    public string DeviceId { get; set; } = "";
    public string FromState { get; set; } = "";
    public string ToState { get; set; } = "";
    public string Reason { get; set; } = "";
    public long At { get; set; }
}

/// <summary>A command and where it stands.</summary>
internal sealed record CommandView
{
    public string CommandId { get; set; } = "";
    public string Status { get; set; } = "";
}

/// <summary>A command as the hub holds it, with when it was queued (unix ms).</summary>
internal sealed record HubCommandView
{
    public string CommandId { get; set; } = "";
    public string Status { get; set; } = "";
    public long CreatedAt { get; set; }

    public CommandView View => new() { CommandId = CommandId, Status = Status };
}

/// <summary>Reads the rows above from a site's <c>edge.db</c> and from a hub's SQLite file or PostgreSQL database.</summary>
internal static class LedgerRows
{
    public static List<DeviceView> SiteDevices(SQLiteConnection edge) =>
        edge.Query<DeviceView>(
            "SELECT id AS DeviceId, serial AS Serial, state AS State, status AS Status, compliant AS Compliant, group_name AS GroupName FROM devices");

    public static List<TransitionView> SiteTransitions(SQLiteConnection edge) =>
        edge.Query<TransitionView>(
            "SELECT device_id AS DeviceId, coalesce(from_state, '') AS FromState, to_state AS ToState, reason AS Reason, at AS At FROM device_transitions");

    public static List<CommandView> SiteCommands(SQLiteConnection edge) =>
        edge.Query<CommandView>("SELECT id AS CommandId, status AS Status FROM commands");

    /// <summary>The hub's devices of one site, from its SQLite database.</summary>
    public static List<DeviceView> HubDevices(SQLiteConnection hub, string siteId) =>
        hub.Query<DeviceView>(
            "SELECT device_id AS DeviceId, serial AS Serial, state AS State, status_json AS Status, compliant AS Compliant, group_name AS GroupName FROM devices WHERE site_id = ?",
            siteId);

    public static List<TransitionView> HubTransitions(SQLiteConnection hub, string siteId) =>
        hub.Query<TransitionView>(
            "SELECT device_id AS DeviceId, from_state AS FromState, to_state AS ToState, reason AS Reason, at AS At FROM transitions WHERE site_id = ?", siteId);

    public static List<HubCommandView> HubCommands(SQLiteConnection hub, string siteId) =>
        hub.Query<HubCommandView>("SELECT command_id AS CommandId, status AS Status, created_at AS CreatedAt FROM commands WHERE site_id = ?", siteId);

    /// <summary>The hub's devices of one site, from its PostgreSQL database.</summary>
    public static Task<List<DeviceView>> HubDevicesAsync(NpgsqlConnection hub, string siteId) =>
        QueryAsync(
            hub,
            "SELECT device_id, serial, state, status_json, compliant, group_name FROM devices WHERE site_id = @site",
            siteId,
            row => new DeviceView { DeviceId = row.GetString(0), Serial = row.GetString(1), State = row.GetString(2), Status = row.GetString(3), Compliant = row.GetBoolean(4) ? 1 : 0, GroupName = row.GetString(5) });

    public static Task<List<TransitionView>> HubTransitionsAsync(NpgsqlConnection hub, string siteId) =>
        QueryAsync(
            hub,
            "SELECT device_id, from_state, to_state, reason, at FROM transitions WHERE site_id = @site",
            siteId,
            row => new TransitionView { DeviceId = row.GetString(0), FromState = row.GetString(1), ToState = row.GetString(2), Reason = row.GetString(3), At = row.GetInt64(4) });

    public static Task<List<HubCommandView>> HubCommandsAsync(NpgsqlConnection hub, string siteId) =>
        QueryAsync(
            hub,
            "SELECT command_id, status, created_at FROM commands WHERE site_id = @site",
            siteId,
            row => new HubCommandView { CommandId = row.GetString(0), Status = row.GetString(1), CreatedAt = row.GetInt64(2) });

    /// <summary>Every row of <paramref name="sql"/> (which names the site as <c>@site</c>), each read by <paramref name="read"/>.</summary>
    public static async Task<List<T>> QueryAsync<T>(NpgsqlConnection hub, string sql, string siteId, Func<NpgsqlDataReader, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        await using var select = new NpgsqlCommand(sql, hub);
        select.Parameters.AddWithValue("site", siteId);
        await using var rows = await select.ExecuteReaderAsync();
        var result = new List<T>();
        while (await rows.ReadAsync())
            result.Add(read(rows));
        return result;
    }
}
