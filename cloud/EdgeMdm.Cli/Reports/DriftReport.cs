using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Reports;

/// <summary>Compliance of one site's devices, as its appliance last reported them.</summary>
public sealed record SiteCompliance(string SiteId, int Devices, int Compliant, int NonCompliant, int Unknown, int Stale);

/// <summary>How many devices run one version of one app, in total and per site.</summary>
public sealed record AppVersionCount(string PackageName, long VersionCode, string VersionName, int Devices, IReadOnlyDictionary<string, int> Sites);

/// <summary>
/// <c>edgemdm report drift</c>: per-site compliance, the app versions the floor really runs across sites,
/// the non-compliant devices and the stale ones (no check-in reported for <c>StaleAfter</c>). Built from
/// <c>GET /api/v1/devices</c> alone: compliance is what the sites computed, app versions come from each
/// device's last reported status.
/// </summary>
public sealed record DriftReport(
    IReadOnlyList<SiteCompliance> Sites,
    IReadOnlyList<AppVersionCount> AppVersions,
    IReadOnlyList<DeviceRow> NonCompliant,
    IReadOnlyList<DeviceRow> Stale,
    string StaleAfter)
{
    public static DriftReport Build(IReadOnlyList<HubDevice> devices, DateTimeOffset now, TimeSpan staleAfter, string staleAfterText)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var rows = devices.Select(d => (Device: d, Row: DeviceRow.Of(d))).ToList();
        bool IsStale(DeviceRow d) => d.LastCheckinAt is not { } at || now - at > staleAfter;

        var sites = rows
            .GroupBy(d => d.Row.SiteId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SiteCompliance(
                g.Key,
                g.Count(),
                g.Count(d => d.Row.Compliant == true),
                g.Count(d => d.Row.Compliant == false),
                g.Count(d => d.Row.Compliant is null),
                g.Count(d => IsStale(d.Row))))
            .ToList();

        var versions = rows
            .SelectMany(d => d.Device.InstalledApps()
                .DistinctBy(a => a.PackageName, StringComparer.Ordinal)
                .Select(a => (d.Row.SiteId, App: a)))
            .GroupBy(x => (x.App.PackageName!, x.App.VersionCode ?? 0))
            .Select(g => new AppVersionCount(
                g.Key.Item1,
                g.Key.Item2,
                g.Select(x => x.App.VersionName).FirstOrDefault(n => !string.IsNullOrEmpty(n)) ?? "",
                g.Count(),
                g.GroupBy(x => x.SiteId, StringComparer.Ordinal).OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(s => s.Key, s => s.Count(), StringComparer.Ordinal)))
            .OrderBy(v => v.PackageName, StringComparer.Ordinal)
            .ThenByDescending(v => v.VersionCode)
            .ToList();

        static IOrderedEnumerable<DeviceRow> Ordered(IEnumerable<DeviceRow> devices) =>
            devices.OrderBy(d => d.SiteId, StringComparer.Ordinal).ThenBy(d => d.DeviceId, StringComparer.Ordinal);

        return new DriftReport(
            sites,
            versions,
            [.. Ordered(rows.Select(d => d.Row).Where(d => d.Compliant == false))],
            [.. Ordered(rows.Select(d => d.Row).Where(IsStale))],
            staleAfterText);
    }
}
