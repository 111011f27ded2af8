using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Rollouts;
using EdgeMdm.Edge.Storage;
using InstallFailure = EdgeMdm.Domain.Rollouts.InstallFailure;

namespace EdgeMdm.Edge.Rollouts;

/// <summary>
/// One app's move from one version to another, as the site runs it: every blueprint of the site whose app
/// carries this rollout id (the hub gives each group's rollout its own id; a seed may share one between groups so
/// that a pilot wave can name another group; the plan's pilot groups name devices by serial in any group).
/// </summary>
public sealed record SiteRollout(
    string RolloutId,
    string PackageName,
    long FromVersionCode,
    string FromVersionName,
    long ToVersionCode,
    string ToVersionName,
    RolloutPlan Plan,
    RolloutTarget Target,
    IReadOnlyList<string> Groups)
{
    /// <summary>
    /// The rollouts the blueprints carry. An app's rollout counts only once the hub gave it an id and a version to
    /// roll from that differs from the target; a plan alone (a blueprint read from a file) declares the target to
    /// everyone, as before rollouts existed. The target's minimum OS is its verified package's, when the site has one.
    /// </summary>
    public static IReadOnlyList<SiteRollout> From(IEnumerable<Blueprint> blueprints, Func<string, long, PackageManifest?> verifiedPackage)
    {
        ArgumentNullException.ThrowIfNull(blueprints);
        ArgumentNullException.ThrowIfNull(verifiedPackage);
        var rollouts = new Dictionary<(string, string), SiteRollout>();
        foreach (var blueprint in blueprints.OrderBy(b => b.Group, StringComparer.Ordinal))
        {
            foreach (var app in blueprint.Apps)
            {
                if (ActiveRollout(app) is not { } rollout)
                    continue;
                var key = (rollout.Id!, app.PackageName);
                if (rollouts.TryGetValue(key, out var known))
                {
                    rollouts[key] = known with { Groups = [.. known.Groups, blueprint.Group] };
                    continue;
                }

                var target = verifiedPackage(app.PackageName, app.VersionCode) is { } manifest
                    ? RolloutTarget.Of(manifest)
                    : new RolloutTarget(app.PackageName, app.VersionCode, MinOsVersion: null);
                rollouts[key] = new SiteRollout(
                    rollout.Id!, app.PackageName, rollout.FromVersionCode!.Value, FromNameOf(rollout), app.VersionCode, app.VersionName,
                    rollout.Plan, target, [blueprint.Group]);
            }
        }

        return rollouts.Values.OrderBy(r => r.PackageName, StringComparer.Ordinal).ThenBy(r => r.RolloutId, StringComparer.Ordinal).ToList();
    }

    /// <summary>The app's rollout when the site should stage it (see <see cref="From"/>); null to declare the target to every device.</summary>
    public static AppRollout? ActiveRollout(RequiredApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Rollout is { Id: not null, FromVersionCode: { } from } rollout && from != app.VersionCode && rollout.Plan.IsValid() ? rollout : null;
    }

    public static string FromNameOf(AppRollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        return rollout.FromVersionName ?? rollout.FromVersionCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    public (string RolloutId, string PackageName) Key => (RolloutId, PackageName);
}

/// <summary>A device as the tracker judges it: its serial number (pilot groups list those), stored status, the OS it enrolled with and its last check-in.</summary>
public sealed record RolloutDevice(string DeviceId, string SerialNumber, string Group, DeviceStatus Status, string? EnrolledOsVersion, DateTimeOffset? LastCheckIn);

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

    /// <summary>Evaluates every rollout over the devices of its groups and replaces what was published before.</summary>
    public void Publish(IReadOnlyList<SiteRollout> rollouts, IReadOnlyList<RolloutDevice> devices, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rollouts);
        ArgumentNullException.ThrowIfNull(devices);
        var states = new Dictionary<(string, string), RolloutState>();
        foreach (var rollout in rollouts)
        {
            var judged = devices
                .Where(d => rollout.Groups.Contains(d.Group, StringComparer.Ordinal))
                .Select(d => (Device: d, Wave: WaveOf(rollout, d), Outcome: Judge(rollout, d, now)))
                .ToList();
            var progress = RolloutProgress.Evaluate(rollout.Plan, judged.Select(j => (j.Wave, j.Outcome)));
            var counts = RolloutReport.Build(judged.Select(j => new RolloutDeviceRow("", j.Device.DeviceId, j.Outcome, j.Device.LastCheckIn))).Total;
            states[rollout.Key] = new RolloutState(rollout, progress, counts, now);
        }

        _states = states;
    }

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
