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
internal sealed class RolloutReporter(IRolloutStore rollouts, IFleetReadStore fleet, IPackageStore packages, RolloutWaveMemory? memory = null)
{
    /// <summary>
    /// One view per group with a current rollout of <paramref name="packageName"/> (of every package when null), by
    /// package then group; empty when there is none. <paramref name="siteId"/> limits the devices to one site.
    /// </summary>
    public async Task<IReadOnlyList<RolloutView>> ReportAsync(
        string tenantId, string? packageName, string? siteId, DateTimeOffset now, TimeSpan offlineAfter, CancellationToken cancellationToken)
    {
        var views = new List<RolloutView>();
        var current = packageName is null
            ? await rollouts.ListCurrentRolloutsAsync(tenantId, cancellationToken)
            : (await rollouts.ListRolloutsAsync(tenantId, packageName, cancellationToken)).Where(r => r.SupersededAt is null).ToList();
        foreach (var rollout in current)
        {
            var published = await packages.FindPackageVersionAsync(tenantId, rollout.PackageName, rollout.ToVersionCode, cancellationToken);
            var target = new RolloutTarget(rollout.PackageName, rollout.ToVersionCode, published?.Manifest.MinOsVersion);
            // As at the site: a quarantined device is offered nothing, so it neither counts towards a wave nor holds one back.
            var devices = (await fleet.ListGroupAsync(tenantId, rollout.Group, siteId, cancellationToken))
                .Where(d => !string.Equals(d.State, nameof(Domain.Lifecycle.DeviceState.Quarantined), StringComparison.Ordinal))
                .ToList();
            views.Add(Report(rollout, target, devices, now, offlineAfter, memory));
        }

        return views;
    }

    /// <summary>
    /// The view of one rollout over its devices. <paramref name="memory"/>, when given, keeps the waves a site was seen
    /// with open (as the site itself does), so a straggler coming back does not close a wave in the report.
    /// </summary>
    internal static RolloutView Report(
        RolloutRecord rollout, RolloutTarget target, IReadOnlyList<DeviceRecord> devices, DateTimeOffset now, TimeSpan offlineAfter, RolloutWaveMemory? memory = null)
    {
        var clock = new RolloutClock(rollout.StartedAt, now);
        var judged = devices.Select(d => (
            Device: d,
            Member: new WaveMember(
                WaveAssignment.WaveOf(rollout.Plan, rollout.RolloutId, d.DeviceId, d.Group, d.Serial),
                DeviceOutcomes.Judge(target, ReportOf(d, target.PackageName), now, offlineAfter),
                d.LastCheckin))).ToList();
        var progressBySite = judged
            .GroupBy(j => j.Device.SiteId, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g =>
                {
                    var atLeast = memory?.OpenWaves(rollout.RolloutId, g.Key) ?? 1;
                    var progress = RolloutProgress.Evaluate(rollout.Plan, g.Select(j => j.Member), clock, atLeast);
                    memory?.Remember(rollout.RolloutId, g.Key, progress.WavesToRemember);
                    return progress;
                },
                StringComparer.Ordinal);

        var report = RolloutReport.Build(judged.Select(j => new RolloutDeviceRow(
            j.Device.SiteId, j.Device.DeviceId, j.Member.Outcome, j.Device.LastCheckin,
            RolloutStragglers.IsStraggler(rollout.Plan, progressBySite[j.Device.SiteId], j.Member, clock))));
        var serials = devices.ToDictionary(d => (d.SiteId, d.DeviceId), d => d.Serial);
        var sites = report.Sites.Select(site =>
        {
            var progress = progressBySite[site.SiteId];
            return new SiteRolloutView(
                site.SiteId, RolloutCountsView.Of(site.Counts), WavesOf(rollout.Plan, progress), progress.OpenWaves, progress.Halt?.ToString(),
                progress.IsFinished, progress.Waiting is { } wait ? WaitView.Of(rollout.Plan, wait) : null, StatusOf(rollout.Plan, progress));
        }).ToList();

        return new RolloutView(
            rollout.RolloutId, rollout.Group, rollout.PackageName, rollout.FromVersionCode, rollout.FromVersionName,
            rollout.ToVersionCode, rollout.ToVersionName, target.MinOsVersion, rollout.Plan, rollout.StartedAt,
            sites, RolloutCountsView.Of(report.Total),
            report.Stragglers.Select(s => new StragglerView(
                s.SiteId, s.DeviceId, serials.GetValueOrDefault((s.SiteId, s.DeviceId), ""), StateName(s.State), s.Reason?.ToWire(), s.LastCheckIn)).ToList(),
            sites.Count > 0 && sites.All(s => s.Finished),
            StatusOf(sites));
    }

    /// <summary>"finished", "halted: …" or "wave 2 (50%): waiting on 1 offline device, 14 min …".</summary>
    internal static string StatusOf(RolloutPlan plan, RolloutProgress progress)
    {
        if (progress.Halt is { } halt)
            return "halted: " + halt;
        if (progress.IsFinished)
            return "finished";
        return progress.Waiting is { } wait
            ? $"wave {(wait.Wave + 1).ToString(CultureInfo.InvariantCulture)} ({LabelOf(plan.Waves[wait.Wave])}): {wait.Text()}"
            : "not evaluated";
    }

    /// <summary>Across sites: "finished" when every site is, else each unfinished site's status.</summary>
    private static string StatusOf(List<SiteRolloutView> sites)
    {
        if (sites.Count == 0)
            return "no device of the group has reported yet";
        if (sites.All(s => s.Finished))
            return "finished";
        var open = sites.Where(s => !s.Finished).ToList();
        return open.Count == 1 && sites.Count == 1 ? open[0].Status : string.Join("; ", open.Select(s => $"{s.SiteId}: {s.Status}"));
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
            // "done" means it let the next one open (or, the last wave, the rollout finish), by threshold or time limit.
            var done = open && w.AdvancedBy is not null;
            return new WaveView(
                w.Wave, LabelOf(plan.Waves[w.Wave]), done ? WaveStates.Done : open ? WaveStates.Open : WaveStates.Closed,
                w.Devices, w.Installed, w.Pending, w.Failed, w.Incompatible, w.Offline,
                open ? w.Stragglers : 0, w.AdvancedBy is { } by ? AdvanceName(by) : null, w.TimeLimitAt);
        }).ToList();

    /// <summary><c>threshold</c>, <c>time-limit</c> or <c>earlier</c> (seen advanced before, kept open).</summary>
    internal static string AdvanceName(WaveAdvance advance) => advance switch
    {
        WaveAdvance.Threshold => "threshold",
        WaveAdvance.TimeLimit => "time-limit",
        _ => "earlier",
    };

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

