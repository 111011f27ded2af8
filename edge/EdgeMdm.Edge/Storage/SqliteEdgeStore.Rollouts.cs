using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;
using EdgeMdm.Edge.Rollouts;

namespace EdgeMdm.Edge.Storage;

/// <summary>The site's rollouts: where each stands, and a way to have them judged again now.</summary>
public interface IRolloutStore
{
    RolloutTracker Rollouts { get; }

    /// <summary>Judges every rollout over its devices as stored now and publishes the result to <see cref="Rollouts"/>.</summary>
    void RefreshRollouts(DateTimeOffset now);
}

// Rollouts at the site: which version of each app a device is declared. A group's devices share a handful of
// declarations variants (each staged app at its target or held at its from version), built once per blueprint
// load and catalog, never per check-in; the decision per device reads the progress the tracker last published.
public sealed partial class SqliteEdgeStore : IRolloutStore
{
    private readonly Lock _rolloutRefreshLock = new();
    private volatile IReadOnlyList<SiteRollout> _siteRollouts = [];

    public RolloutTracker Rollouts { get; }

    public void RefreshRollouts(DateTimeOffset now)
    {
        lock (_rolloutRefreshLock)
        {
            // Read inside the lock: a reload sets the new rollouts first, then waits here, so it publishes last.
            var rollouts = _siteRollouts;
            var groups = rollouts.SelectMany(r => r.Groups).Distinct(StringComparer.Ordinal).ToArray();
            var devices = groups.Length == 0
                ? []
                : _reads.Read(db => db.Query<DeviceRow>(
                        DeviceRow.Select + " WHERE state <> 'Retired' AND group_name IN (" + string.Join(", ", groups.Select(_ => "?")) + ")",
                        groups.Cast<object>().ToArray()))
                    .Select(d => RolloutDeviceOf(d, JsonSerializer.Deserialize(d.Status, DeviceProtocolJson.Default.DeviceStatus) ?? new DeviceStatus(), d.LastCheckinAt is { } at ? FromMs(at) : null))
                    .ToList();
            Rollouts.Publish(rollouts, devices, now);
            WakeDevicesWhoseVariantChanged(devices, now);
        }
    }

    // The declarations token each device of a rollout group was last judged to get; a wave opening, a halt or a
    // maintenance window moves it without any write, so it is compared here, on every refresh.
    private readonly Dictionary<string, string> _rolloutDeclared = new(StringComparer.Ordinal);

    private void WakeDevicesWhoseVariantChanged(IReadOnlyList<RolloutDevice> devices, DateTimeOffset now)
    {
        List<string>? woken = null;
        foreach (var device in devices)
        {
            var token = Declared(BlueprintOf(device.Group), device, now).Declarations.Token;
            if (_rolloutDeclared.TryGetValue(device.DeviceId, out var before) && !string.Equals(before, token, StringComparison.Ordinal))
                (woken ??= []).Add(device.DeviceId);
            _rolloutDeclared[device.DeviceId] = token;
        }

        if (woken is not null)
            WakeInMemory(woken, WakeReasons.Declarations);
    }

    private static RolloutDevice RolloutDeviceOf(DeviceRow device, DeviceStatus status, DateTimeOffset? lastCheckIn) =>
        new(device.Id, device.Serial, device.GroupName, status, device.OsVersion, lastCheckIn);

    /// <summary>
    /// The declarations variant this device gets now: each staged app at its target when <see cref="RolloutGate"/>
    /// says so (offer, or already installed), otherwise at the version the rollout holds it on
    /// (<see cref="AppRollout.HeldVersionFor"/>: the one it runs when the rollout lets it keep that, else the from version).
    /// </summary>
    private DeclaredVariant Declared(BlueprintEntry entry, RolloutDevice device, DateTimeOffset now)
    {
        if (entry.Staged.Count == 0)
            return entry.Base;
        List<HeldApp>? heldBack = null;
        foreach (var staged in entry.Staged)
        {
            if (Rollouts.Decide(staged.Rollout, device, now).DeclaresTarget())
                continue;
            var installed = RolloutTracker.ReportOf(device, staged.App.PackageName).InstalledVersionCode;
            (heldBack ??= []).Add(new HeldApp(staged.App.PackageName, staged.AppRollout.HeldVersionFor(installed)!));
        }

        return heldBack is null ? entry.Base : entry.Variant(heldBack);
    }

    /// <summary>An app a device is not offered the rollout's version of yet, and the version it is declared meanwhile.</summary>
    private sealed record HeldApp(string PackageName, AppVersion Version);

    /// <summary>A blueprint as one set of devices is declared it, and the declarations built from it.</summary>
    private sealed record DeclaredVariant(Blueprint Blueprint, DeclarationsDocument Declarations);

    /// <summary>An app of a blueprint whose new version is being rolled out at this site.</summary>
    private sealed record StagedApp(RequiredApp App, SiteRollout Rollout)
    {
        public AppRollout AppRollout => SiteRollout.ActiveRollout(App)!;
    }

    /// <summary>
    /// A group's blueprint as loaded with one catalog: the declarations with every app at its target
    /// (<see cref="Base"/>), the apps being rolled out, and the variants built so far, keyed by the apps held back.
    /// </summary>
    private sealed class BlueprintEntry
    {
        private readonly PackageCatalog _catalog;
        private readonly ConcurrentDictionary<string, DeclaredVariant> _variants = new(StringComparer.Ordinal);

        private BlueprintEntry(Blueprint blueprint, PackageCatalog catalog, IReadOnlyList<StagedApp> staged)
        {
            _catalog = catalog;
            Base = new DeclaredVariant(blueprint, Declare(blueprint, catalog));
            Staged = staged;
        }

        public DeclaredVariant Base { get; }

        public Blueprint Blueprint => Base.Blueprint;

        public DeclarationsDocument Declarations => Base.Declarations;

        /// <summary>In package-name order, so that a variant's key does not depend on the blueprint's app order.</summary>
        public IReadOnlyList<StagedApp> Staged { get; }

        public static BlueprintEntry Of(Blueprint blueprint, PackageCatalog catalog, IReadOnlyList<SiteRollout> rollouts)
        {
            var staged = blueprint.Apps
                .Select(app => (App: app, Rollout: SiteRollout.ActiveRollout(app) is { } r
                    ? rollouts.FirstOrDefault(s => string.Equals(s.RolloutId, r.Id, StringComparison.Ordinal) && string.Equals(s.PackageName, app.PackageName, StringComparison.Ordinal))
                    : null))
                .Where(s => s.Rollout is not null)
                .Select(s => new StagedApp(s.App, s.Rollout!))
                .OrderBy(s => s.App.PackageName, StringComparer.Ordinal)
                .ToList();
            return new BlueprintEntry(blueprint, catalog, staged);
        }

        /// <summary>The declarations with each app of <paramref name="heldBack"/> (in <see cref="Staged"/> order) at its held version.</summary>
        public DeclaredVariant Variant(IReadOnlyList<HeldApp> heldBack) =>
            _variants.GetOrAdd(string.Join('\n', heldBack.Select(h => h.PackageName + "=" + h.Version.VersionCode.ToString(CultureInfo.InvariantCulture))), _ =>
            {
                var apps = Blueprint.Apps.Select(app =>
                    heldBack.FirstOrDefault(h => string.Equals(h.PackageName, app.PackageName, StringComparison.Ordinal)) is { } held
                        ? app with { VersionCode = held.Version.VersionCode, VersionName = held.Version.VersionName }
                        : app).ToList();
                var blueprint = Blueprint with { Apps = apps };
                return new DeclaredVariant(blueprint, Declare(blueprint, _catalog));
            });
    }
}
