using System.Globalization;
using System.Text.Json;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Cloud.Rollouts;

/// <summary>
/// The hub's view of a package's rollouts: for each group's current rollout, every non-retired device of the group
/// the tenant's sites reported, judged from what it reported (<see cref="DeviceOutcomes.Judge"/>), put in its wave
/// (<see cref="WaveAssignment"/>) and counted per site (<see cref="RolloutProgress"/>, <see cref="RolloutReport"/>).
/// A site gates its devices with the same rules over the same reports, so the waves and halts shown here are the
/// ones the site applies, as of its last sync.
/// </summary>
internal sealed class RolloutReporter(IRolloutStore rollouts, IFleetReadStore fleet, IPackageStore packages)
{
    /// <summary>
    /// One view per group with a current rollout of <paramref name="packageName"/>, by group; empty when there is
    /// none. <paramref name="siteId"/> limits the devices to one site.
    /// </summary>
    public async Task<IReadOnlyList<RolloutView>> ReportAsync(
        string tenantId, string packageName, string? siteId, DateTimeOffset now, TimeSpan offlineAfter, CancellationToken cancellationToken)
    {
        var views = new List<RolloutView>();
        foreach (var rollout in (await rollouts.ListRolloutsAsync(tenantId, packageName, cancellationToken)).Where(r => r.SupersededAt is null))
        {
            var published = await packages.FindPackageVersionAsync(tenantId, packageName, rollout.ToVersionCode, cancellationToken);
            var target = new RolloutTarget(packageName, rollout.ToVersionCode, published?.Manifest.MinOsVersion);
            // As at the site: a quarantined device is offered nothing, so it neither counts towards a wave nor holds one back.
            var devices = (await fleet.ListGroupAsync(tenantId, rollout.Group, siteId, cancellationToken))
                .Where(d => !string.Equals(d.State, nameof(Domain.Lifecycle.DeviceState.Quarantined), StringComparison.Ordinal))
                .ToList();
            views.Add(Report(rollout, target, devices, now, offlineAfter));
        }

        return views;
    }

    internal static RolloutView Report(RolloutRecord rollout, RolloutTarget target, IReadOnlyList<DeviceRecord> devices, DateTimeOffset now, TimeSpan offlineAfter)
    {
        var judged = devices.Select(d =>
        {
            var outcome = DeviceOutcomes.Judge(target, ReportOf(d, target.PackageName), now, offlineAfter);
            var wave = WaveAssignment.WaveOf(rollout.Plan, rollout.RolloutId, d.DeviceId, d.Group, d.Serial);
            return (Device: d, Wave: wave, Outcome: outcome);
        }).ToList();

        var report = RolloutReport.Build(judged.Select(j => new RolloutDeviceRow(j.Device.SiteId, j.Device.DeviceId, j.Outcome, j.Device.LastCheckin)));
        var serials = devices.ToDictionary(d => (d.SiteId, d.DeviceId), d => d.Serial);
        var sites = report.Sites.Select(site =>
        {
            var progress = RolloutProgress.Evaluate(
                rollout.Plan, judged.Where(j => string.Equals(j.Device.SiteId, site.SiteId, StringComparison.Ordinal)).Select(j => (j.Wave, j.Outcome)));
            return new SiteRolloutView(site.SiteId, RolloutCountsView.Of(site.Counts), WavesOf(rollout.Plan, progress), progress.OpenWaves, progress.Halt?.ToString());
        }).ToList();

        return new RolloutView(
            rollout.RolloutId, rollout.Group, rollout.PackageName, rollout.FromVersionCode, rollout.FromVersionName,
            rollout.ToVersionCode, rollout.ToVersionName, target.MinOsVersion, rollout.Plan, rollout.StartedAt,
            sites, RolloutCountsView.Of(report.Total),
            report.Stragglers.Select(s => new StragglerView(
                s.SiteId, s.DeviceId, serials.GetValueOrDefault((s.SiteId, s.DeviceId), ""), StateName(s.State), s.Reason?.ToWire(), s.LastCheckIn)).ToList());
    }

    /// <summary>
    /// What the device said about the package: the installed version code from its apps, the OS it reported (the
    /// one it enrolled with until then) and its last install failure for the package.
    /// </summary>
    internal static DeviceReport ReportOf(DeviceRecord device, string packageName)
    {
        var status = StatusOf(device.StatusJson);
        var installed = status.Apps?.FirstOrDefault(a => string.Equals(a.PackageName, packageName, StringComparison.Ordinal))?.VersionCode;
        var osVersion = status.Os?.Version is { Length: > 0 } reported ? reported : device.OsVersion is { Length: > 0 } enrolled ? enrolled : null;
        var failure = status.InstallFailures?
            .Where(f => string.Equals(f.PackageName, packageName, StringComparison.Ordinal) && f.VersionCode is not null)
            .Select(f => new Domain.Rollouts.InstallFailure(f.VersionCode!.Value, InstallFailureReasons.Parse(f.Reason), f.At ?? DateTimeOffset.MinValue))
            .LastOrDefault();
        return new DeviceReport(installed, osVersion, device.LastCheckin, failure);
    }

    // A site forwards what its devices sent after checking it; a status the hub cannot read counts as one that says nothing.
    private static DeviceStatus StatusOf(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return new DeviceStatus();
        try
        {
            return JsonSerializer.Deserialize(json, DeviceProtocolJson.Default.DeviceStatus) ?? new DeviceStatus();
        }
        catch (JsonException)
        {
            return new DeviceStatus();
        }
    }

    private static List<WaveView> WavesOf(RolloutPlan plan, RolloutProgress progress) =>
        progress.Waves.Select(w =>
        {
            var open = progress.IsWaveOpen(w.Wave);
            // The rule RolloutProgress opens the next wave by, so "done" here means "let the next one open".
            var done = open && w.Settled >= plan.WaveAdvanceShare * w.Devices;
            return new WaveView(
                w.Wave, LabelOf(plan.Waves[w.Wave]), done ? WaveStates.Done : open ? WaveStates.Open : WaveStates.Closed,
                w.Devices, w.Installed, w.Pending, w.Failed, w.Incompatible, w.Offline);
        }).ToList();

    /// <summary><c>pilots</c> for a pilot wave, <c>10%</c> for a percentage wave.</summary>
    internal static string LabelOf(RolloutWave wave) => wave switch
    {
        PilotWave pilot => pilot.Group,
        PercentageWave percentage => percentage.CumulativePercent.ToString(CultureInfo.InvariantCulture) + "%",
        _ => "?",
    };

    internal static string StateName(DeviceRolloutState state) => state switch
    {
        DeviceRolloutState.Installed => "installed",
        DeviceRolloutState.Pending => "pending",
        DeviceRolloutState.Failed => "failed",
        DeviceRolloutState.Incompatible => "incompatible",
        _ => "offline",
    };
}

/// <summary>A wave's state in a site: closed (not offered yet), open, or done (settled enough for the next one to open).</summary>
public static class WaveStates
{
    public const string Closed = "closed";
    public const string Open = "open";
    public const string Done = "done";
}

/// <summary>
/// A group's current rollout of a package: what it installs, from what, under which plan, and how far it got per
/// site and across sites; stragglers (pending, offline, failed) oldest check-in first.
/// </summary>
public sealed record RolloutView(
    string RolloutId, string Group, string PackageName, long FromVersionCode, string FromVersionName,
    long ToVersionCode, string ToVersionName, string? MinOsVersion, RolloutPlan Plan, DateTimeOffset StartedAt,
    IReadOnlyList<SiteRolloutView> Sites, RolloutCountsView Total, IReadOnlyList<StragglerView> Stragglers);

/// <summary>One site's part: its counts, its waves, and why it is halted (null when it is not).</summary>
public sealed record SiteRolloutView(string SiteId, RolloutCountsView Counts, IReadOnlyList<WaveView> Waves, int OpenWaves, string? Halted);

/// <summary>Devices by state; <c>FailedByReason</c> names every reason (storage_full, download_failed, …), zero or not.</summary>
public sealed record RolloutCountsView(
    int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline, IReadOnlyDictionary<string, int> FailedByReason)
{
    public static RolloutCountsView Of(RolloutCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var byReason = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (reason, count) in counts.FailedByReason)
            byReason[reason.ToWire()] = count;
        return new(counts.Devices, counts.Installed, counts.Pending, counts.Failed, counts.Incompatible, counts.Offline, byReason);
    }
}

/// <summary>A wave in one site: <c>Label</c> is the pilot group or the cumulative share (<c>10%</c>), <c>State</c> a <see cref="WaveStates"/> value.</summary>
public sealed record WaveView(int Wave, string Label, string State, int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline);

/// <summary>A device still to act on; <c>State</c> pending, offline or failed, <c>Reason</c> the failure's wire name.</summary>
public sealed record StragglerView(string SiteId, string DeviceId, string Serial, string State, string? Reason, DateTimeOffset? LastCheckIn);
