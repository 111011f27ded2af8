using System.Globalization;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Wakes;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Rollouts;

/// <summary>An app of a blueprint whose new version is being rolled out at this site.</summary>
public sealed record StagedApp(RequiredApp App, SiteRollout Rollout)
{
    public AppRollout AppRollout => SiteRollout.ActiveRollout(App)!;
}

/// <summary>An app a device is not offered the rollout's version of yet, and the version it is declared meanwhile.</summary>
public sealed record HeldApp(string PackageName, AppVersion Version);

/// <summary>
/// Rollouts at the site: which of them run, where each stands (<see cref="Tracker"/>), and for a device which staged
/// apps it is held back on. Nothing about progress is stored: it is judged from what devices report.
/// </summary>
public interface ISiteRollouts
{
    RolloutTracker Tracker { get; }

    /// <summary>
    /// Takes the rollouts the blueprints just loaded carry and judges them over their devices before anyone reads the
    /// new declarations (a new rollout is never decided on a guess). Returns each group's staged apps, in
    /// package-name order, so that a variant's key does not depend on the blueprint's app order.
    /// </summary>
    IReadOnlyDictionary<string, IReadOnlyList<StagedApp>> Reload(IReadOnlyList<Blueprint> blueprints, PackageCatalog catalog, DateTimeOffset now);

    /// <summary>Judges every rollout over its devices as stored now, publishes the result, and wakes devices whose declarations it changed.</summary>
    void Refresh(DateTimeOffset now);

    /// <summary>
    /// The staged apps this device is not offered the target of now, each at the version the rollout holds it on
    /// (<see cref="AppRollout.HeldVersionFor"/>: the one it runs when it may keep that, else the from version); null
    /// when it is offered every target.
    /// </summary>
    IReadOnlyList<HeldApp>? HeldBack(IReadOnlyList<StagedApp> staged, RolloutDevice device, DateTimeOffset now);

    /// <summary>A device came or went (an enrollment): judge the rollouts again soon.</summary>
    void DevicesChanged();
}

internal sealed class SiteRollouts(IDeviceQueries devices, IWakeRequests wakes, IOptions<EdgeOptions> options) : ISiteRollouts
{
    private readonly Lock _refreshLock = new();

    // The variant each device of a rollout group was last judged to get, by the apps it is held back on: a wave
    // opening, a halt or a maintenance window moves it without any write, so it is compared on every refresh.
    private readonly Dictionary<string, string> _heldKeys = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<SiteRollout> _rollouts = [];
    private volatile IReadOnlyDictionary<string, IReadOnlyList<StagedApp>> _staged = new Dictionary<string, IReadOnlyList<StagedApp>>(StringComparer.Ordinal);

    public RolloutTracker Tracker { get; } = new(RolloutTracker.OfflineAfterIntervals * TimeSpan.FromSeconds(options.Value.CheckinIntervalSeconds));

    public IReadOnlyDictionary<string, IReadOnlyList<StagedApp>> Reload(IReadOnlyList<Blueprint> blueprints, PackageCatalog catalog, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(blueprints);
        ArgumentNullException.ThrowIfNull(catalog);
        var rollouts = SiteRollout.From(blueprints, (packageName, versionCode) => catalog.Verified.GetValueOrDefault((packageName, versionCode))?.Manifest);
        var staged = blueprints.ToDictionary(b => b.Group, IReadOnlyList<StagedApp> (b) => StagedIn(b, rollouts), StringComparer.Ordinal);
        lock (_refreshLock)
        {
            _rollouts = rollouts;
            _staged = staged;
            RefreshLocked(now);
        }

        return staged;
    }

    public void Refresh(DateTimeOffset now)
    {
        lock (_refreshLock)
            RefreshLocked(now);
    }

    private void RefreshLocked(DateTimeOffset now)
    {
        var rollouts = _rollouts;
        var groups = rollouts.SelectMany(r => r.Groups).Distinct(StringComparer.Ordinal).ToArray();
        // A quarantined device is offered nothing, so it neither holds a wave back nor counts towards one.
        var judged = devices.NotRetiredIn(groups)
            .Where(d => d.State != Domain.Lifecycle.DeviceState.Quarantined)
            .Select(d => RolloutDevice.Of(d, d.ParsedStatus(), d.LastCheckinAt))
            .ToList();
        Tracker.Publish(rollouts, judged, now);
        WakeDevicesWhoseVariantChanged(judged, now);
    }

    private void WakeDevicesWhoseVariantChanged(IReadOnlyList<RolloutDevice> judged, DateTimeOffset now)
    {
        var staged = _staged;
        List<string>? woken = null;
        foreach (var device in judged)
        {
            var held = staged.TryGetValue(device.Group, out var apps) ? HeldBack(apps, device, now) : null;
            var key = held is null ? "" : string.Join('\n', held.Select(h => h.PackageName + "=" + h.Version.VersionCode.ToString(CultureInfo.InvariantCulture)));
            if (_heldKeys.TryGetValue(device.DeviceId, out var before) && !string.Equals(before, key, StringComparison.Ordinal))
                (woken ??= []).Add(device.DeviceId);
            _heldKeys[device.DeviceId] = key;
        }

        if (woken is not null)
            wakes.WakeNow(woken, WakeReasons.Declarations);
    }

    public IReadOnlyList<HeldApp>? HeldBack(IReadOnlyList<StagedApp> staged, RolloutDevice device, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(staged);
        List<HeldApp>? heldBack = null;
        foreach (var app in staged)
        {
            if (Tracker.Decide(app.Rollout, device, now).DeclaresTarget())
                continue;
            var installed = RolloutTracker.ReportOf(device, app.App.PackageName).InstalledVersionCode;
            (heldBack ??= []).Add(new HeldApp(app.App.PackageName, app.AppRollout.HeldVersionFor(installed)!));
        }

        return heldBack;
    }

    public void DevicesChanged()
    {
        if (_rollouts.Count > 0)
            Tracker.Stale.Pulse();
    }

    private static List<StagedApp> StagedIn(Blueprint blueprint, IReadOnlyList<SiteRollout> rollouts) =>
        blueprint.Apps
            .Select(app => (App: app, Rollout: SiteRollout.ActiveRollout(app) is { } r
                ? rollouts.FirstOrDefault(s => string.Equals(s.RolloutId, r.Id, StringComparison.Ordinal) && string.Equals(s.PackageName, app.PackageName, StringComparison.Ordinal))
                : null))
            .Where(s => s.Rollout is not null)
            .Select(s => new StagedApp(s.App, s.Rollout!))
            .OrderBy(s => s.App.PackageName, StringComparer.Ordinal)
            .ToList();
}
