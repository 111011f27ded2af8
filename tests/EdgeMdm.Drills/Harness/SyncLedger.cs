using EdgeMdm.Drills.Faults;
using SQLite;

namespace EdgeMdm.Drills.Harness;

/// <summary>
/// What the site produced against what the hub holds, read straight from the site's SQLite file and the hub's database
/// (<see cref="LedgerRows"/>, shared with the end-to-end tests' ledger), returning broken promises as lines instead of
/// failing a test. Every upstream change carries (site, sequence); every lifecycle transition and staging batch is one
/// event, at the hub exactly once.
/// </summary>
internal static class SyncLedger
{
    public static string EdgeDatabase(string edgeDataDir) => Path.Combine(edgeDataDir, "edge.db");

    /// <summary>Highest sequence the site ever numbered (the log has no holes below it).</summary>
    public static ulong ProducedThrough(string edgeDataDir)
    {
        using var db = new SQLiteConnection(EdgeDatabase(edgeDataDir));
        return ProducedThrough(db);
    }

    public static ulong ProducedThrough(SQLiteConnection db) =>
        (ulong)db.ExecuteScalar<long>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)");

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
            applied = await hub.AppliedThroughAsync(siteId, cancellationToken);
            depth = OutboxDepth(edgeDataDir);
            if (produced > 0 && applied == produced && depth == 0)
                return Stopwatch.GetElapsedTime(started);
            await Task.Delay(250, cancellationToken);
        }

        failures.Add(Invariant($"no convergence within {limit.TotalSeconds:0} s: the site numbered through {produced}, the hub applied through {applied}, outbox {depth}"));
        return null;
    }

    /// <summary>
    /// The hub's devices and commands equal the site's; every transition and staging batch the site recorded is at the hub
    /// exactly once, and the hub holds none the site never made. <paramref name="allowance"/> says what a restore on
    /// either side excuses; nothing else is.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CompareHubWithSiteAsync(string edgeDataDir, IHubDatabase hubStore, string siteId, LedgerAllowance? allowance = null)
    {
        ArgumentNullException.ThrowIfNull(hubStore);
        allowance ??= LedgerAllowance.None;
        var held = await hubStore.ReadSiteAsync(siteId);
        using var edge = new SQLiteConnection(EdgeDatabase(edgeDataDir));
        var failures = new List<string>();
        failures.AddRange(CompareDevices(LedgerRows.SiteDevices(edge), held.Devices, allowance));
        failures.AddRange(CompareTransitions(LedgerRows.SiteTransitions(edge), held.Transitions, allowance));
        var siteCommands = LedgerRows.SiteCommands(edge).ToHashSet();
        // Commands the old box queued after its backup stay at the hub, as its late devices' records do.
        var hubCommands = held.Commands.Where(c => !allowance.LostBySite.Holds(c.CreatedAt)).Select(c => c.View).ToHashSet();
        if (!siteCommands.SetEquals(hubCommands))
            failures.Add($"commands: site {siteCommands.Count}, hub {hubCommands.Count}, differing {siteCommands.Except(hubCommands).Count()} (first: {siteCommands.Except(hubCommands).FirstOrDefault()})");
        failures.AddRange(ExactlyOnce("staging batch", edge.QueryScalars<string>("SELECT id FROM staging_batches"), held.StagingBatches));
        return failures;
    }

    /// <summary><c>PRAGMA integrity_check</c> and <c>foreign_key_check</c> of a SQLite file: empty when both are clean.</summary>
    public static IReadOnlyList<string> CheckIntegrity(string file)
    {
        using var db = new SQLiteConnection(file);
        return CheckIntegrity(db, Path.GetFileName(file));
    }

    public static IReadOnlyList<string> CheckIntegrity(SQLiteConnection db, string name)
    {
        ArgumentNullException.ThrowIfNull(db);
        var failures = new List<string>();
        var integrity = db.QueryScalars<string>("PRAGMA integrity_check");
        if (integrity is not ["ok"])
            failures.Add($"{name}: integrity_check says {string.Join("; ", integrity.Take(5))}");
        var foreignKeys = db.ExecuteScalar<long>("SELECT count(*) FROM pragma_foreign_key_check");
        if (foreignKeys != 0)
            failures.Add(Invariant($"{name}: {foreignKeys} rows fail foreign_key_check"));
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

    /// <summary>Every site device at the hub as the site has it; a hub device the site does not hold only when the allowance names it.</summary>
    private static IEnumerable<string> CompareDevices(IEnumerable<DeviceView> siteRows, IEnumerable<DeviceView> hubRows, LedgerAllowance allowance)
    {
        var siteDevices = siteRows.ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
        var hubDevices = hubRows.ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
        foreach (var (id, site) in siteDevices)
        {
            // A device that enrolled but never checked in has no status yet: "{}" at the site, nothing at the hub.
            if (!hubDevices.TryGetValue(id, out var held))
                yield return $"device {site.Serial} is at the site, not at the hub";
            else if (site with { Status = Comparable(site.Status) } != held with { Status = Comparable(held.Status) })
                yield return $"device {site.Serial}: site {site}, hub {held}";
        }

        foreach (var id in hubDevices.Keys.Except(siteDevices.Keys, StringComparer.Ordinal).Where(id => !allowance.StaleDevices.Contains(id)))
            yield return $"device {id} is at the hub, not at the site";
    }

    /// <summary>
    /// Each site transition at the hub once, none doubled, none the site never made. The snapshot's lines (<c>sent
    /// again: ...</c>) count only where <see cref="LedgerAllowance.ResentSnapshot"/> says a restore made the site send one.
    /// </summary>
    private static IEnumerable<string> CompareTransitions(List<TransitionView> site, IEnumerable<TransitionView> hubRows, LedgerAllowance allowance)
    {
        var held = hubRows.Where(t => !(allowance.ResentSnapshot && t.Reason.StartsWith("sent again", StringComparison.Ordinal))).ToList();
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

    /// <summary>Every one of <paramref name="site"/> is in <paramref name="hub"/> once, and the hub holds nothing else.</summary>
    private static IEnumerable<string> ExactlyOnce(string what, List<string> site, IReadOnlyCollection<string> hub)
    {
        var counts = hub.GroupBy(x => x, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var missing = site.Where(x => !counts.ContainsKey(x)).ToList();
        var doubled = counts.Where(c => c.Value > 1).Select(c => c.Key).ToList();
        var foreign = hub.Except(site, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            yield return Invariant($"{what}es: {missing.Count} of the site's {site.Count} missing at the hub (first: {missing[0]})");
        if (doubled.Count > 0)
            yield return Invariant($"{what}es: {doubled.Count} held more than once at the hub (first: {doubled[0]})");
        if (foreign.Count > 0)
            yield return Invariant($"{what}es: {foreign.Count} at the hub that the site does not hold (first: {foreign[0]})");
    }

    private static string Comparable(string status) => status is "{}" ? "" : status;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// What a restore excuses. <see cref="ForgottenByHub"/>: the stretch a hub restored from a backup forgot; transitions made
/// then may be missing there (the snapshot carries the state they led to, which the device comparison checks).
/// <see cref="LostBySite"/>: the stretch between a site's backup and its box's death; transitions made then are at the hub
/// and not at the restored site, and so are commands queued then. <see cref="StaleDevices"/>: devices the old box
/// enrolled after its backup, whose records the hub keeps and the restored site never knew. <see cref="ResentSnapshot"/>:
/// the site sent a snapshot of its records (after either restore), whose history lines the hub keeps beside the real ones.
/// </summary>
internal sealed record LedgerAllowance(Window ForgottenByHub, Window LostBySite, IReadOnlySet<string> StaleDevices, bool ResentSnapshot)
{
    public static LedgerAllowance None { get; } = new(Window.Empty, Window.Empty, new HashSet<string>(StringComparer.Ordinal), ResentSnapshot: false);
}

/// <summary>From and to, unix milliseconds, both included.</summary>
internal sealed record Window(long FromMs, long ToMs)
{
    public static Window Empty => new(1, 0);

    public bool Holds(long atMs) => atMs >= FromMs && atMs <= ToMs;
}
