using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Rollouts;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Threading;
using InstallFailure = EdgeMdm.Domain.Rollouts.InstallFailure;

namespace EdgeMdm.Edge.Rollouts;

/// <summary>A device as the tracker judges it: its serial number (pilot groups list those), stored status, the OS it enrolled with and its last check-in.</summary>
public sealed record RolloutDevice(string DeviceId, string SerialNumber, string Group, DeviceStatus Status, string? EnrolledOsVersion, DateTimeOffset? LastCheckIn)
{
    public static RolloutDevice Of(DeviceRecord device, DeviceStatus status, DateTimeOffset? lastCheckIn)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new RolloutDevice(device.Id, device.Serial, device.Group, status, device.OsVersion, lastCheckIn);
    }
}

/// <summary>Where one rollout stands at the site, as of <see cref="EvaluatedAt"/>.</summary>
public sealed record RolloutState(SiteRollout Rollout, RolloutProgress Progress, RolloutCounts Counts, DateTimeOffset EvaluatedAt);

/// <summary>
/// The site's rollouts and their progress, recomputed from what devices report (the store calls
/// <see cref="Publish"/>: at start, when blueprints change, every few seconds and soon after a check-in changed a
/// device's outcome) and read by the declarations path, which must never count a fleet on a check-in. A rollout
/// the tracker has not evaluated yet opens its first wave only.
/// </summary>
public sealed class RolloutTracker(TimeSpan offlineAfter)
{
    /// <summary>A device silent for this many check-in intervals is offline in a rollout, so one lost check-in is not.</summary>
    public const int OfflineAfterIntervals = 3;

    private volatile IReadOnlyDictionary<(string, string), RolloutState> _states = new Dictionary<(string, string), RolloutState>();

    public TimeSpan OfflineAfter { get; } = offlineAfter;

    /// <summary>Pulsed when a check-in changed a device's outcome in some rollout, or the blueprints changed.</summary>
    public ChangeSignal Stale { get; } = new();

    public IReadOnlyList<RolloutState> States =>
        _states.Values.OrderBy(s => s.Rollout.PackageName, StringComparer.Ordinal).ThenBy(s => s.Rollout.RolloutId, StringComparer.Ordinal).ToList();

    public RolloutProgress ProgressOf(SiteRollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        return _states.TryGetValue(rollout.Key, out var state)
            ? state.Progress
            : new RolloutProgress([], OpenWaves: 1, Halt: null);
    }

    /// <summary>
    /// Evaluates every rollout over the devices of its groups and replaces what was published before. A rollout keeps at
    /// least the waves it had open (same id, same plan), so a straggler coming back does not close a wave again.
    /// </summary>
    public void Publish(IReadOnlyList<SiteRollout> rollouts, IReadOnlyList<RolloutDevice> devices, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rollouts);
        ArgumentNullException.ThrowIfNull(devices);
        var before = _states;
        var states = new Dictionary<(string, string), RolloutState>();
        foreach (var rollout in rollouts)
        {
            var judged = devices
                .Where(d => rollout.Groups.Contains(d.Group, StringComparer.Ordinal))
                .Select(d => (Device: d, Member: new WaveMember(WaveOf(rollout, d), Judge(rollout, d, now), d.LastCheckIn)))
                .ToList();
            var open = before.TryGetValue(rollout.Key, out var known) && SamePlan(known.Rollout.Plan, rollout.Plan) ? known.Progress.WavesToRemember : 1;
            var clock = new RolloutClock(rollout.StartedAt, now);
            var progress = RolloutProgress.Evaluate(rollout.Plan, judged.Select(j => j.Member), clock, open);
            var counts = RolloutReport.Build(judged.Select(j => new RolloutDeviceRow(
                "", j.Device.DeviceId, j.Member.Outcome, j.Device.LastCheckIn, RolloutStragglers.IsStraggler(rollout.Plan, progress, j.Member, clock)))).Total;
            states[rollout.Key] = new RolloutState(rollout, progress, counts, now);
        }

        _states = states;
    }

    private static bool SamePlan(RolloutPlan a, RolloutPlan b) =>
        ReferenceEquals(a, b) || string.Equals(CanonicalHash.OfPlan(a), CanonicalHash.OfPlan(b), StringComparison.Ordinal);

    public DeviceOutcome Judge(SiteRollout rollout, RolloutDevice device, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(device);
        return DeviceOutcomes.Judge(rollout.Target, ReportOf(device, rollout.PackageName), now, OfflineAfter);
    }

    /// <summary>
    /// Whether this device's declarations carry the rollout's target (<see cref="RolloutGate"/>, with the progress
    /// last published and the maintenance window at <paramref name="now"/>).
    /// </summary>
    public OfferDecision Decide(SiteRollout rollout, RolloutDevice device, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(device);
        return RolloutGate.Decide(rollout.Plan, ProgressOf(rollout), rollout.Target, WaveOf(rollout, device), ReportOf(device, rollout.PackageName), now);
    }

    // The device's groups are its blueprint group and the plan's pilot groups listing its serial, as at the hub, so both put it in the same wave.
    public static int WaveOf(SiteRollout rollout, RolloutDevice device)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(device);
        return WaveAssignment.WaveOf(rollout.Plan, rollout.RolloutId, device.DeviceId, device.Group, device.SerialNumber);
    }

    /// <summary>
    /// What the device reports for one package: the installed version code, its OS (as last reported, else as
    /// given at enrollment), its last check-in and its last install failure for that package.
    /// </summary>
    public static DeviceReport ReportOf(RolloutDevice device, string packageName)
    {
        ArgumentNullException.ThrowIfNull(device);
        var status = device.Status;
        var installed = status.Apps?.FirstOrDefault(a => string.Equals(a.PackageName, packageName, StringComparison.Ordinal))?.VersionCode;
        var failure = status.InstallFailures?
            .Where(f => string.Equals(f.PackageName, packageName, StringComparison.Ordinal) && f.VersionCode is not null)
            .Select(f => new InstallFailure(f.VersionCode!.Value, InstallFailureReasons.Parse(f.Reason), f.At ?? DateTimeOffset.MinValue))
            .LastOrDefault();
        var os = status.Os?.Version ?? (string.IsNullOrEmpty(device.EnrolledOsVersion) ? null : device.EnrolledOsVersion);
        return new DeviceReport(installed, os, device.LastCheckIn, failure);
    }
}
