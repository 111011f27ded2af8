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
/// together: twenty supervisors' pages following a busy floor cost one computation, not twenty.
/// </summary>
internal sealed class OverviewReader(
    IDeviceQueries devices, IDriftReport drift, IFloorReports readiness, ISparePools spares, IUplinkStore uplink,
    EdgeStorage storage, IAlerts alerts, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private static readonly (string Label, int Low, int High, string Tone)[] ChargeBands =
        [("0–19 %", 0, 19, "bad"), ("20–49 %", 20, 49, "warn"), ("50–79 %", 50, 79, "none"), ("80–100 %", 80, 100, "ok")];

    private readonly Lock _gate = new();
    private OverviewModel? _last;

    public OverviewModel Current()
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (_last is { } cached && now - cached.At < Freshness && now >= cached.At)
                return cached;
        }

        var built = Build(now);
        lock (_gate)
            _last = built;
        return built;
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
        var all = devices.ListDevices().Where(d => d.State != Domain.Lifecycle.DeviceState.Retired).ToList();
        int Count(ComplianceState state) => all.Count(d => string.Equals(d.Compliance, ComplianceClassifier.Name(state), StringComparison.Ordinal));
        var byState = Enum.GetValues<Domain.Lifecycle.DeviceState>()
            .Where(s => s != Domain.Lifecycle.DeviceState.Retired)
            .Select(s => new ChartBar(s.ToString(), all.Count(d => d.State == s), s == Domain.Lifecycle.DeviceState.Quarantined ? "bad" : "none"))
            .ToList();
        var apps = AppVersions.Spread(drift.Drift().AppVersions);
        var charge = ChargeBands
            .Select(b => new ChartBar(b.Label, all.Count(d => d.BatteryLevel is { } level && level >= b.Low && level <= b.High), b.Tone))
            .ToList();
        var link = uplink.Uplink();
        var outbox = storage.Outbox.State();
        return new OverviewModel(
            now, all.Count, Count(ComplianceState.Compliant), Count(ComplianceState.NonCompliant), Count(ComplianceState.Unknown), Count(ComplianceState.Stale),
            byState, apps, charge,
            readiness.NextReadiness(), ByShift(readiness.RecordedReadiness(7)), spares.Pools(),
            new UplinkView(link.State ?? "NotConfigured", link.LastContactAt, outbox.Depth, outbox.OldestPendingAt),
            alerts.Open());
    }
}
