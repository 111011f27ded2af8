using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Domain.Drift;

/// <summary>
/// How many devices run one version of one app. <paramref name="Required"/> is true when a blueprint requires this
/// version for at least one group (a rollout's from version counts while the rollout is staged: devices waiting for
/// their wave are declared it). <see cref="Sites"/> splits <paramref name="Devices"/> by site where that is known.
/// </summary>
public sealed record AppVersionCount(string PackageName, long VersionCode, string? VersionName, int Devices, bool Required)
{
    /// <summary>Devices per site (site id → count), by site id; null when counted at one site (the appliance's own).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, int>? Sites { get; init; }
}

/// <summary>
/// One app's versions on the floor, newest first. A version is <see cref="IsStale"/> when no blueprint requires it while
/// another version of the app is required: "console green, floor broken" made visible.
/// </summary>
public sealed record AppSpread(string PackageName, IReadOnlyList<AppVersionCount> Versions)
{
    public bool HasRequired => Versions.Any(v => v.Required);

    public bool IsStale(AppVersionCount version) => HasRequired && version is { Required: false };

    /// <summary>Devices running a stale version of the app.</summary>
    public int StaleDevices => Versions.Where(IsStale).Sum(v => v.Devices);

    /// <summary>"required", "stale" or "not managed" (no blueprint requires any version of the app).</summary>
    public string StatusOf(AppVersionCount version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return version.Required ? "required" : IsStale(version) ? "stale" : "not managed";
    }
}

/// <summary>
/// The app versions of a floor (one site's, or a fleet's) against what the blueprints require: the appliance's
/// overview and the hub's console show the same spread, judged by the same rules.
/// </summary>
public static class AppVersions
{
    /// <summary>
    /// The app versions the blueprints require: each app's version, and while an app's rollout is staged
    /// (<see cref="AppRollout.Active"/>) the version it rolls from, as devices waiting for their wave are declared it.
    /// </summary>
    public static IEnumerable<(string PackageName, long VersionCode)> Required(IEnumerable<Blueprint> blueprints)
    {
        ArgumentNullException.ThrowIfNull(blueprints);
        return blueprints
            .SelectMany(blueprint => blueprint.Apps)
            .SelectMany(app => AppRollout.Active(app) is { FromVersionCode: { } from }
                ? new[] { (app.PackageName, app.VersionCode), (app.PackageName, from) }
                : [(app.PackageName, app.VersionCode)]);
    }

    /// <summary>The counted versions grouped per app (by package name), each app's versions newest first.</summary>
    public static IReadOnlyList<AppSpread> Spread(IEnumerable<AppVersionCount> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        return versions.GroupBy(v => v.PackageName, StringComparer.Ordinal)
            .Select(g => new AppSpread(g.Key, [.. g.OrderByDescending(v => v.VersionCode)]))
            .OrderBy(a => a.PackageName, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Counts what devices report: each device once per app (the first entry of a package it lists), per site.
    /// Every version <paramref name="blueprints"/> require appears, with zero devices when no device runs it, so an
    /// app nobody installed yet is visible too.
    /// </summary>
    public static IReadOnlyList<AppVersionCount> Count(IEnumerable<(string SiteId, IReadOnlyList<InstalledApp>? Apps)> devices, IReadOnlyList<Blueprint> blueprints)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(blueprints);
        var required = Required(blueprints).ToHashSet();
        var names = blueprints.SelectMany(b => b.Apps)
            .GroupBy(a => (a.PackageName, a.VersionCode))
            .ToDictionary(g => g.Key, g => g.First().VersionName);
        var counted = devices
            .SelectMany(d => (d.Apps ?? [])
                .Where(a => a is { PackageName.Length: > 0, VersionCode: not null })
                .DistinctBy(a => a.PackageName, StringComparer.Ordinal)
                .Select(a => (d.SiteId, App: a)))
            .GroupBy(x => (x.App.PackageName!, x.App.VersionCode!.Value))
            .ToDictionary(g => g.Key, g => g.ToList());
        foreach (var missing in required.Where(r => !counted.ContainsKey(r)))
            counted[missing] = [];
        return counted
            .Select(pair => new AppVersionCount(
                pair.Key.Item1,
                pair.Key.Item2,
                pair.Value.Select(x => x.App.VersionName).FirstOrDefault(n => !string.IsNullOrEmpty(n)) ?? names.GetValueOrDefault(pair.Key),
                pair.Value.Count,
                required.Contains(pair.Key))
            {
                Sites = new SortedDictionary<string, int>(
                    pair.Value.GroupBy(x => x.SiteId, StringComparer.Ordinal).ToDictionary(s => s.Key, s => s.Count(), StringComparer.Ordinal),
                    StringComparer.Ordinal),
            })
            .OrderBy(v => v.PackageName, StringComparer.Ordinal)
            .ThenByDescending(v => v.VersionCode)
            .ToList();
    }
}
