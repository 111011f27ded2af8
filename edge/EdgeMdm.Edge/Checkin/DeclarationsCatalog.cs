using System.Collections.Concurrent;
using System.Globalization;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Rollouts;
using EdgeMdm.Edge.Sync;
using EdgeMdm.Edge.Wakes;

namespace EdgeMdm.Edge.Checkin;

/// <summary>A blueprint as one set of devices is declared it, and the declarations built from it.</summary>
public sealed record DeclaredVariant(Blueprint Blueprint, DeclarationsDocument Declarations);

/// <summary>
/// What each device is declared: its group's blueprint with the site's verified packages, and, while an app is
/// being rolled out, the variant its wave allows. Built in memory from the committed blueprints and catalog, never
/// per check-in; reloaded after every commit that changes either.
/// </summary>
public interface IDeclarations
{
    IReadOnlyCollection<string> Groups { get; }

    bool HasBlueprint(string group);

    /// <summary>The declarations this device gets now (a group without a blueprint gets the empty one).</summary>
    DeclaredVariant DeclaredFor(RolloutDevice device, DateTimeOffset now);

    /// <summary>
    /// What a device declared nothing (quarantined) gets: the declarations of its group's empty blueprint. No app,
    /// configuration or certificate is in them, so they lead the device to nothing new; their token is their content
    /// hash like any other, so a device fetches them once and the group's own again when it leaves quarantine.
    /// </summary>
    DeclarationsDocument Withheld(string group);

    /// <summary>Whether anything a device of this group is judged by can move with its own reports (a rollout is under way).</summary>
    IReadOnlyList<StagedApp> StagedIn(string group);

    /// <summary>Every (package, version code) some group requires: the targets, and the from versions while devices are still declared them.</summary>
    IReadOnlySet<(string PackageName, long VersionCode)> RequiredVersions();

    /// <summary>
    /// Rebuilds the catalog from the committed rows; call after the commit that changed them. Judges the rollouts
    /// before anyone reads the new declarations, and wakes the devices of every group whose declarations moved.
    /// </summary>
    void Reload();
}

internal sealed class DeclarationsCatalog : IDeclarations, IPinnedPackages, IFeedObserver
{
    private static readonly HashSet<HubChange.ChangeOneofCase> ShapingKinds =
    [
        HubChange.ChangeOneofCase.BlueprintUpserted, HubChange.ChangeOneofCase.BlueprintDeleted,
        HubChange.ChangeOneofCase.PackagePublished, HubChange.ChangeOneofCase.SigningKey,
    ];

    private readonly IBlueprints _blueprints;
    private readonly IPackageCatalog _packages;
    private readonly ISiteRollouts _rollouts;
    private readonly IDeviceQueries _devices;
    private readonly IWakeRequests _wakes;
    private readonly TimeProvider _clock;

    // Serializes reloads: each reads the rows committed so far, so the last one to run leaves the newest.
    private readonly Lock _reloadLock = new();
    private readonly ConcurrentDictionary<string, BlueprintEntry> _entries = new(StringComparer.Ordinal);
    private volatile PackageCatalog _catalog = PackageCatalog.Empty;

    // The empty declarations per group: they depend on the group's name alone, so they never need a reload.
    private readonly ConcurrentDictionary<string, DeclarationsDocument> _withheld = new(StringComparer.Ordinal);

    // False during the first load: nothing was declared before it, so nobody is woken for it.
    private bool _loaded;

    public DeclarationsCatalog(IBlueprints blueprints, IPackageCatalog packages, ISiteRollouts rollouts, IDeviceQueries devices, IWakeRequests wakes, TimeProvider clock)
    {
        _blueprints = blueprints;
        _packages = packages;
        _rollouts = rollouts;
        _devices = devices;
        _wakes = wakes;
        _clock = clock;
        Reload();
    }

    public IReadOnlyCollection<string> Groups => _entries.Keys.Order(StringComparer.Ordinal).ToList();

    public bool HasBlueprint(string group) => _entries.ContainsKey(group);

    public void Applied(IReadOnlySet<HubChange.ChangeOneofCase> changed)
    {
        if (changed.Overlaps(ShapingKinds))
            Reload();
    }

    public void Reload()
    {
        lock (_reloadLock)
        {
            var tokensBefore = _entries.ToDictionary(kv => kv.Key, kv => kv.Value.Base.Declarations.Token, StringComparer.Ordinal);
            var blueprints = _blueprints.LoadAll();
            var catalog = _packages.Reload();
            _catalog = catalog;
            var staged = _rollouts.Reload(blueprints, catalog, _clock.GetUtcNow());
            foreach (var blueprint in blueprints)
                _entries[blueprint.Group] = new BlueprintEntry(blueprint, catalog, staged.GetValueOrDefault(blueprint.Group) ?? []);
            var stored = blueprints.Select(b => b.Group).ToHashSet(StringComparer.Ordinal);
            foreach (var group in _entries.Keys.Where(g => !stored.Contains(g)))
                _entries.TryRemove(group, out _);

            _packages.Changed.Pulse();
            if (_loaded)
                WakeGroupsWhoseDeclarationsChanged(tokensBefore);
            _loaded = true;
        }
    }

    /// <summary>Wakes the devices of every group whose declarations token moved (a group that lost its blueprint included).</summary>
    private void WakeGroupsWhoseDeclarationsChanged(Dictionary<string, string> tokensBefore)
    {
        var changed = _entries
            .Where(kv => !tokensBefore.TryGetValue(kv.Key, out var before) || !string.Equals(before, kv.Value.Base.Declarations.Token, StringComparison.Ordinal))
            .Select(kv => kv.Key)
            .Concat(tokensBefore.Keys.Where(group => !_entries.ContainsKey(group)))
            .ToArray();
        if (changed.Length > 0)
            _wakes.WakeNow(_devices.NotRetiredIn(changed).Select(d => d.Id), WakeReasons.Declarations);
    }

    public DeclaredVariant DeclaredFor(RolloutDevice device, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(device);
        var entry = EntryOf(device.Group);
        if (entry.Staged.Count == 0)
            return entry.Base;
        return _rollouts.HeldBack(entry.Staged, device, now) is { } heldBack ? entry.Variant(heldBack) : entry.Base;
    }

    public IReadOnlyList<StagedApp> StagedIn(string group) => EntryOf(group).Staged;

    public DeclarationsDocument Withheld(string group) => _withheld.GetOrAdd(group, g => Blueprint.Empty(g).ToDeclarations());

    public IReadOnlySet<(string PackageName, long VersionCode)> RequiredVersions() =>
        AppVersionsDeclared().ToHashSet();

    /// <summary>
    /// Both ends of every rollout: a device is declared its target or, until its wave is offered (or for good when
    /// its OS is too old), the version it started from, and either must be there to download.
    /// </summary>
    public IReadOnlyList<SignedManifest> PinnedPackages()
    {
        var catalog = _catalog;
        return AppVersionsDeclared()
            .Select(version => catalog.Verified.GetValueOrDefault(version))
            .OfType<SignedManifest>()
            .DistinctBy(manifest => manifest.Manifest.Sha256, StringComparer.Ordinal)
            .ToList();
    }

    private IEnumerable<(string PackageName, long VersionCode)> AppVersionsDeclared() =>
        Domain.Drift.AppVersions.Required(_entries.Values.Select(entry => entry.Base.Blueprint));

    private BlueprintEntry EntryOf(string group) =>
        _entries.TryGetValue(group, out var entry) ? entry : _entries.GetOrAdd(group, g => new BlueprintEntry(Blueprint.Empty(g), _catalog, []));

    /// <summary>
    /// A group's blueprint as loaded with one catalog: the declarations with every app at its target
    /// (<see cref="Base"/>), the apps being rolled out, and the variants built so far, keyed by the apps held back.
    /// </summary>
    private sealed class BlueprintEntry(Blueprint blueprint, PackageCatalog catalog, IReadOnlyList<StagedApp> staged)
    {
        private readonly ConcurrentDictionary<string, DeclaredVariant> _variants = new(StringComparer.Ordinal);

        public DeclaredVariant Base { get; } = new(blueprint, PackageDeclarations.Declare(blueprint, catalog));

        public IReadOnlyList<StagedApp> Staged { get; } = staged;

        /// <summary>The declarations with each app of <paramref name="heldBack"/> (in <see cref="Staged"/> order) at its held version.</summary>
        public DeclaredVariant Variant(IReadOnlyList<HeldApp> heldBack) =>
            _variants.GetOrAdd(string.Join('\n', heldBack.Select(h => h.PackageName + "=" + h.Version.VersionCode.ToString(CultureInfo.InvariantCulture))), _ =>
            {
                var apps = blueprint.Apps.Select(app =>
                    heldBack.FirstOrDefault(h => string.Equals(h.PackageName, app.PackageName, StringComparison.Ordinal)) is { } held
                        ? app with { VersionCode = held.Version.VersionCode, VersionName = held.Version.VersionName }
                        : app).ToList();
                var variant = blueprint with { Apps = apps };
                return new DeclaredVariant(variant, PackageDeclarations.Declare(variant, catalog));
            });
    }
}
