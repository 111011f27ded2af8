using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Batteries;
using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Spares;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using EdgeMdm.ServiceDefaults.WebPages;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>The uplink as the overview shows it: state, last contact, and what waits to go up.</summary>
public sealed record UplinkView(string State, DateTimeOffset? LastContactAt, long Backlog, DateTimeOffset? OldestPendingAt);

/// <summary>
/// The supervisor's overview: floor truth (what devices report), states, app versions, charge, readiness, spares,
/// uplink, alerts. Each device counts once, as <c>ComplianceClassifier</c> names it: a device that has not reported since
/// it enrolled is <see cref="Unknown"/>, one silent longer than the stale window <see cref="Stale"/>.
/// </summary>
public sealed record OverviewModel(
    DateTimeOffset At,
    int Devices,
    int Compliant,
    int NonCompliant,
    int Unknown,
    int Stale,
    IReadOnlyList<ChartBar> ByState,
    IReadOnlyList<AppSpread> Apps,
    IReadOnlyList<ChartBar> Charge,
    ReadinessFigure? Readiness,
    IReadOnlyList<ChartBar> ReadinessByShift,
    IReadOnlyList<SparePoolStatus> Spares,
    UplinkView Uplink,
    IReadOnlyList<AlertRecord> Alerts);

/// <summary>
/// Builds the overview from the features' own interfaces, at most once per <see cref="Freshness"/> for every open page
/// together: twenty supervisors' pages following a busy floor cost one computation, not twenty, and pages that ask
/// while it is being built get the last one rather than building it again or waiting. The devices are counted in one
/// grouped SQL read (state, compliance, charge), not by loading and parsing every device's status: with 5,000 devices
/// that was most of the page's time (docs/benchmarks.md, "Supervisor overview").
/// </summary>
internal sealed class OverviewReader(
    IDeclarations declarations, IFloorReports readiness, ISparePools spares, IUplinkStore uplink,
    EdgeStorage storage, IAlerts alerts, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private static readonly (string Label, int Low, int High, string Tone)[] ChargeBands =
        [("0–19 %", 0, 19, "bad"), ("20–49 %", 20, 49, "warn"), ("50–79 %", 50, 79, "none"), ("80–100 %", 80, 100, "ok")];

    private readonly Lock _gate = new();
    private readonly object _building = new();
    private OverviewModel? _last;

    public OverviewModel Current()
    {
        if (Fresh(clock.GetUtcNow()) is { } cached)
            return cached;

        // One build at a time, and nobody waits for it once there is a model: who comes while it runs gets the last one
        // (at most a build's time older than the freshness). Waiting held a pool thread per open page for the whole
        // build, and with twenty pages the check-ins starved for threads (docs/benchmarks.md, "Supervisor overview").
        var mine = false;
        try
        {
            Monitor.TryEnter(_building, ref mine);
            if (!mine)
            {
                lock (_gate)
                {
                    if (_last is { } previous)
                        return previous;
                }

                Monitor.Enter(_building, ref mine);
            }

            var now = clock.GetUtcNow();
            if (Fresh(now) is { } built)
                return built;
            var model = Build(now);
            lock (_gate)
                _last = model;
            return model;
        }
        finally
        {
            if (mine)
                Monitor.Exit(_building);
        }
    }

    private OverviewModel? Fresh(DateTimeOffset now)
    {
        lock (_gate)
            return _last is { } cached && now - cached.At < Freshness && now >= cached.At ? cached : null;
    }

    /// <summary>The share ready before each recorded shift: whether the floor starts its shifts better or worse.</summary>
    private static List<ChartBar> ByShift(IReadOnlyList<ReadinessFigure> recorded) =>
        recorded.Select(r =>
        {
            var percent = (int)Math.Round(r.ReadyPercent);
            var label = r.Shift.Name + " " + r.Shift.Date.ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            return new ChartBar(label, percent, percent >= 90 ? "ok" : percent >= 70 ? "warn" : "bad");
        }).ToList();

    private OverviewModel Build(DateTimeOffset now)
    {
        var floor = FloorCounts.Read(storage, now, ComplianceClassifier.DefaultStaleAfter);
        int Count(ComplianceState state) => floor.Where(g => g.Compliance() == state).Sum(g => g.Devices);
        var byState = Enum.GetValues<Domain.Lifecycle.DeviceState>()
            .Where(s => s != Domain.Lifecycle.DeviceState.Retired)
            .Select(s => new ChartBar(s.ToString(), floor.Where(g => g.Is(s)).Sum(g => g.Devices), s == Domain.Lifecycle.DeviceState.Quarantined ? "bad" : "none"))
            .ToList();
        // As the drift report counts them: a rollout's from version is as required as its target while devices are still declared it.
        var required = declarations.RequiredVersions();
        var apps = AppVersions.Spread(FloorCounts.InstalledVersions(storage)
            .Select(v => new AppVersionCount(v.PackageName, v.VersionCode, v.VersionName, v.Devices, required.Contains((v.PackageName, v.VersionCode)))));
        var charge = ChargeBands
            .Select(b => new ChartBar(b.Label, floor.Where(g => g.BatteryLevel is { } level && level >= b.Low && level <= b.High).Sum(g => g.Devices), b.Tone))
            .ToList();
        var link = uplink.Uplink();
        var outbox = storage.Outbox.State();
        return new OverviewModel(
            now, floor.Sum(g => g.Devices), Count(ComplianceState.Compliant), Count(ComplianceState.NonCompliant), Count(ComplianceState.Unknown), Count(ComplianceState.Stale),
            byState, apps, charge,
            readiness.NextReadiness(), ByShift(readiness.RecordedReadiness(7)), spares.Pools(),
            new UplinkView(link.State ?? "NotConfigured", link.LastContactAt, outbox.Depth, outbox.OldestPendingAt),
            alerts.Open());
    }
}

/// <summary>
/// The devices that are not retired, counted by what the overview draws: lifecycle state, the parts of their compliance
/// (<see cref="ComplianceClassifier.Classify"/>: heard from within the stale window, reported anything since enrolling,
/// judged compliant) and their battery level. One grouped read; SQLite looks into each stored status for the two facts
/// it needs, which is what <see cref="ComplianceClassifier.HasReported(string)"/> and the status's <c>battery.level</c> say.
/// </summary>
internal sealed class FloorCounts
{
    // HasReported(string): a valid JSON object with at least one item that is not null; anything else has reported nothing.
    // CASE, not AND: SQLite evaluates a CASE's branches in order and only as far as needed, so no JSON function reads a
    // status that is not JSON.
    private const string Query =
        """
        SELECT state AS State, compliant AS Compliant, heard_recently AS HeardRecently, reported AS Reported, battery_level AS BatteryLevel,
               count(*) AS Devices
        FROM (
            SELECT state, compliant,
                   coalesce(max(coalesce(enrolled_at, last_checkin_at), coalesce(last_checkin_at, enrolled_at)) >= ?1, 0) AS heard_recently,
                   CASE WHEN NOT json_valid(status) THEN 0
                        WHEN json_type(status) <> 'object' THEN 0
                        ELSE EXISTS (SELECT 1 FROM json_each(status) WHERE type <> 'null') END AS reported,
                   CASE WHEN NOT json_valid(status) THEN NULL
                        WHEN json_type(status, '$.battery.level') = 'integer' THEN json_extract(status, '$.battery.level') END AS battery_level
            FROM devices
            WHERE state <> 'Retired')
        GROUP BY state, compliant, heard_recently, reported, battery_level
        """;

    // Mutable because sqlite-net sets properties one by one.
    public string State { get; set; } = "";

    public int Compliant { get; set; }

    public int HeardRecently { get; set; }

    public int Reported { get; set; }

    public long? BatteryLevel { get; set; }

    public int Devices { get; set; }

    public bool Is(Domain.Lifecycle.DeviceState state) => string.Equals(State, state.ToString(), StringComparison.Ordinal);

    /// <summary>As <see cref="ComplianceClassifier.Classify"/> names these devices at the time <see cref="Read"/> was given.</summary>
    public ComplianceState Compliance() =>
        HeardRecently == 0 ? ComplianceState.Stale
        : Reported == 0 ? ComplianceState.Unknown
        : Compliant != 0 ? ComplianceState.Compliant
        : ComplianceState.NonCompliant;

    /// <summary>
    /// How many devices that are not retired run each version of each app, by package then newest version first: what
    /// <see cref="IDeviceQueries.InstalledVersions"/> answers, read without looking up every app's device (20,000 lookups
    /// with 5,000 devices): the devices that are not retired are read once, into a set.
    /// </summary>
    public static IReadOnlyList<InstalledVersionCount> InstalledVersions(EdgeStorage storage) =>
        storage.Read(db => db.Query<AppVersionCountRow>(
                """
                SELECT package_name AS PackageName, version_code AS VersionCode, max(version_name) AS VersionName, count(*) AS Devices
                FROM installed_apps
                WHERE device_id IN (SELECT id FROM devices WHERE state <> 'Retired')
                GROUP BY package_name, version_code
                ORDER BY package_name, version_code DESC
                """))
            .Select(v => new InstalledVersionCount(v.PackageName, v.VersionCode, v.VersionName, v.Devices))
            .ToList();

    /// <summary>
    /// The groups as of <paramref name="now"/>: a device is heard recently when now − its last contact ≤ <paramref name="staleAfter"/>,
    /// that is when its last contact (whole milliseconds) is at or after now − staleAfter rounded up to the millisecond.
    /// </summary>
    public static List<FloorCounts> Read(EdgeStorage storage, DateTimeOffset now, TimeSpan staleAfter)
    {
        var cutoff = now - staleAfter;
        var cutoffMs = cutoff.ToUnixTimeMilliseconds();
        if (DateTimeOffset.FromUnixTimeMilliseconds(cutoffMs) < cutoff)
            cutoffMs++;
        return storage.Read(db => db.Query<FloorCounts>(Query, cutoffMs));
    }
}

/// <summary>One row of <see cref="FloorCounts.InstalledVersions"/>; mutable because sqlite-net sets properties one by one.</summary>
internal sealed class AppVersionCountRow
{
    public string PackageName { get; set; } = "";

    public long VersionCode { get; set; }

    public string? VersionName { get; set; }

    public int Devices { get; set; }
}
