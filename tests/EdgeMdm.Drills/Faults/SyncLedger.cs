using SQLite;

namespace EdgeMdm.Drills.Faults;

/// <summary>
/// What the site produced against what the hub holds, read straight from both SQLite files (the end-to-end tests'
/// ledger, returning broken promises as lines instead of failing a test). Every upstream change carries (site, sequence);
/// every lifecycle transition is one event.
/// </summary>
internal static class SyncLedger
{
    public static string EdgeDatabase(string edgeDataDir) => Path.Combine(edgeDataDir, "edge.db");

    /// <summary>Highest sequence the site ever numbered (the log has no holes below it).</summary>
    public static ulong ProducedThrough(string edgeDataDir)
    {
        using var db = new SQLiteConnection(EdgeDatabase(edgeDataDir));
        return (ulong)db.ExecuteScalar<long>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)");
    }

    public static long OutboxDepth(string edgeDataDir)
    {
        using var db = new SQLiteConnection(EdgeDatabase(edgeDataDir));
        return db.ExecuteScalar<long>("SELECT count(*) FROM outbox");
    }

    /// <summary>Waits until the site applied a first batch of its feed (blueprints, the token); false when it did not in a minute.</summary>
    public static async Task<bool> WaitFeedAsync(string edgeDataDir, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(EdgeDatabase(edgeDataDir)))
            {
                using var db = new SQLiteConnection(EdgeDatabase(edgeDataDir));
                if (db.ExecuteScalar<long>("SELECT coalesce((SELECT feed_position FROM sync_state WHERE id = 1), 0)") > 0)
                    return true;
            }

            await Task.Delay(100, cancellationToken);
        }

        return false;
    }

    /// <summary>
    /// Waits until the hub applied everything the site numbered and the outbox is empty; returns how long it took, or
    /// null (and a broken promise in <paramref name="failures"/>) when it did not within <paramref name="limit"/>.
    /// </summary>
    public static async Task<TimeSpan?> WaitConvergedAsync(string edgeDataDir, DrillHub hub, string siteId, TimeSpan limit, List<string> failures, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        ulong produced = 0, applied = 0;
        long depth = -1;
        while (Stopwatch.GetElapsedTime(started) < limit)
        {
            produced = ProducedThrough(edgeDataDir);
            applied = await hub.AppliedThroughAsync(siteId);
            depth = OutboxDepth(edgeDataDir);
            if (produced > 0 && applied == produced && depth == 0)
                return Stopwatch.GetElapsedTime(started);
            await Task.Delay(250, cancellationToken);
        }

        failures.Add(Invariant($"no convergence within {limit.TotalSeconds:0} s: the site numbered through {produced}, the hub applied through {applied}, outbox {depth}"));
        return null;
    }

    /// <summary>
    /// The hub's devices and commands equal the site's, and every transition the site recorded is at the hub exactly once.
    /// The site's snapshot lines (<c>sent again: ...</c>) are left out. <paramref name="allowance"/> says what a restore on
    /// either side excuses; nothing else is.
    /// </summary>
    public static IReadOnlyList<string> CompareHubWithSite(string edgeDataDir, string hubSqliteFile, string siteId, LedgerAllowance? allowance = null)
    {
        var failures = new List<string>();
        using var edge = new SQLiteConnection(EdgeDatabase(edgeDataDir));
        using var hub = new SQLiteConnection(hubSqliteFile);
        var siteDevices = edge.Query<DeviceView>(
                "SELECT id AS DeviceId, serial AS Serial, state AS State, status AS Status, compliant AS Compliant, group_name AS GroupName FROM devices")
            .ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
        var hubDevices = hub.Query<DeviceView>(
                "SELECT device_id AS DeviceId, serial AS Serial, state AS State, status_json AS Status, compliant AS Compliant, group_name AS GroupName FROM devices WHERE site_id = ?", siteId)
            .ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
        foreach (var (id, site) in siteDevices)
        {
            // A device that enrolled but never checked in has no status yet: "{}" at the site, nothing at the hub.
            if (!hubDevices.TryGetValue(id, out var held))
                failures.Add($"device {site.Serial} is at the site, not at the hub");
            else if (site with { Status = Comparable(site.Status) } != held with { Status = Comparable(held.Status) })
                failures.Add($"device {site.Serial}: site {site}, hub {held}");
        }

        failures.AddRange(hubDevices.Keys.Except(siteDevices.Keys, StringComparer.Ordinal).Where(id => allowance?.StaleDevices.Contains(id) != true).Select(id => $"device {id} is at the hub, not at the site"));
        failures.AddRange(CompareTransitions(edge, hub, siteId, allowance ?? LedgerAllowance.None));
        var siteCommands = edge.Query<CommandView>("SELECT id AS CommandId, status AS Status FROM commands").ToHashSet();
        // Commands the old box queued after its backup stay at the hub, as its late devices' records do.
        var lost = (allowance ?? LedgerAllowance.None).LostBySite;
        var hubCommands = hub.Query<CommandView>("SELECT command_id AS CommandId, status AS Status FROM commands WHERE site_id = ? AND NOT (created_at BETWEEN ? AND ?)", siteId, lost.FromMs, lost.ToMs).ToHashSet();
        if (!siteCommands.SetEquals(hubCommands))
            failures.Add($"commands: site {siteCommands.Count}, hub {hubCommands.Count}, differing {siteCommands.Except(hubCommands).Count()} (first: {siteCommands.Except(hubCommands).FirstOrDefault()})");
        return failures;
    }

    /// <summary><c>PRAGMA integrity_check</c> and <c>foreign_key_check</c> of a SQLite file: empty when both are clean.</summary>
    public static IReadOnlyList<string> CheckIntegrity(string file)
    {
        using var db = new SQLiteConnection(file);
        var failures = new List<string>();
        var integrity = db.QueryScalars<string>("PRAGMA integrity_check");
        if (integrity is not ["ok"])
            failures.Add($"{Path.GetFileName(file)}: integrity_check says {string.Join("; ", integrity.Take(3))}");
        var foreignKeys = db.ExecuteScalar<long>("SELECT count(*) FROM pragma_foreign_key_check");
        if (foreignKeys != 0)
            failures.Add(Invariant($"{Path.GetFileName(file)}: {foreignKeys} rows fail foreign_key_check"));
        return failures;
    }

    /// <summary>Every device's last acknowledged battery level is what the site holds (or one whose answer never came).</summary>
    public static IReadOnlyList<string> CheckAcknowledgedWrites(string edgeDataDir, IEnumerable<FleetDevice> devices)
    {
        using var db = new SQLiteConnection(EdgeDatabase(edgeDataDir));
        return [.. devices
            .Select(d => d.CheckHeld(db.ExecuteScalar<int?>("SELECT json_extract(status, '$.battery.level') FROM devices WHERE id = ?", d.DeviceId)))
            .OfType<string>()];
    }

    private static IEnumerable<string> CompareTransitions(SQLiteConnection edge, SQLiteConnection hub, string siteId, LedgerAllowance allowance)
    {
        var site = edge.Query<TransitionView>(
            "SELECT device_id AS DeviceId, coalesce(from_state, '') AS FromState, to_state AS ToState, reason AS Reason, at AS At FROM device_transitions");
        var held = hub.Query<TransitionView>(
            "SELECT device_id AS DeviceId, from_state AS FromState, to_state AS ToState, reason AS Reason, at AS At FROM transitions WHERE site_id = ? AND reason NOT LIKE 'sent again%'", siteId);
        var duplicated = held.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var missing = site.Except(held).Where(t => !allowance.ForgottenByHub.Holds(t.At)).ToList();
        var extra = held.Except(site).Where(t => !allowance.LostBySite.Holds(t.At)).ToList();
        if (duplicated.Count > 0)
            yield return $"{duplicated.Count} transitions are at the hub more than once (first: {duplicated[0]})";
        if (extra.Count > 0)
            yield return $"{extra.Count} transitions are at the hub that the site never made (first: {extra[0]})";
        if (missing.Count > 0)
            yield return $"{missing.Count} transitions of the site are missing at the hub (first: {missing[0]})";
    }

    /// <summary>
    /// What a restore excuses. <see cref="ForgottenByHub"/>: the stretch a hub restored from a backup forgot; transitions
    /// made then may be missing there (the snapshot carries the state they led to, which the device comparison checks).
    /// <see cref="LostBySite"/>: the stretch between a site's backup and its box's death; transitions made then are at the
    /// hub and not at the restored site, and so are commands queued then. <see cref="StaleDevices"/>: devices the old box enrolled after its backup, whose
    /// records the hub keeps and the restored site never knew.
    /// </summary>
    internal sealed record LedgerAllowance(Window ForgottenByHub, Window LostBySite, IReadOnlySet<string> StaleDevices)
    {
        public static LedgerAllowance None { get; } = new(Window.Empty, Window.Empty, new HashSet<string>(StringComparer.Ordinal));
    }

    /// <summary>From and to, unix milliseconds, both included.</summary>
    internal sealed record Window(long FromMs, long ToMs)
    {
        public static Window Empty => new(1, 0);

        public bool Holds(long atMs) => atMs >= FromMs && atMs <= ToMs;
    }

    private static string Comparable(string status) => status is "{}" ? "" : status;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    internal sealed record DeviceView
    {
        public string DeviceId { get; set; } = "";
        public string Serial { get; set; } = "";
        public string State { get; set; } = "";
        public string Status { get; set; } = "";
        public int Compliant { get; set; }
        public string GroupName { get; set; } = "";
    }

    internal sealed record TransitionView
    {
        public string DeviceId { get; set; } = "";
        public string FromState { get; set; } = "";
        public string ToState { get; set; } = "";
        public string Reason { get; set; } = "";
        public long At { get; set; }
    }

    internal sealed record CommandView
    {
        public string CommandId { get; set; } = "";
        public string Status { get; set; } = "";
    }
}
