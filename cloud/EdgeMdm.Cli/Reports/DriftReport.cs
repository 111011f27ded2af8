using EdgeMdm.Cli.Hub;
using EdgeMdm.Domain.Drift;

namespace EdgeMdm.Cli.Reports;

/// <summary>
/// Compliance of one site's devices, as its appliance last reported them: each device in exactly one of compliant,
/// non-compliant, unknown (nothing reported since its (re)enrollment) and stale (<c>ComplianceClassifier</c>).
/// </summary>
public sealed record SiteCompliance(string SiteId, int Devices, int Compliant, int NonCompliant, int Unknown, int Stale);

/// <summary>How many devices run one version of one app, in total and per site.</summary>
public sealed record AppVersionCount(string PackageName, long VersionCode, string VersionName, int Devices, IReadOnlyDictionary<string, int> Sites);

/// <summary>
/// <c>edgemdm report drift</c>: per-site compliance, the app versions the floor really runs across sites,
/// the non-compliant devices with their findings named, the unknown ones (enrolled, nothing reported since) and the
/// stale ones (silent for <c>StaleAfter</c>). Built from <c>GET /api/v1/devices</c> alone: findings are what the sites
/// computed, app versions come from each device's last reported status, and the four states are
/// <c>EdgeMdm.Domain.Drift.ComplianceClassifier</c>'s with the report's own stale window.
/// </summary>
public sealed record DriftReport(
    IReadOnlyList<SiteCompliance> Sites,
    IReadOnlyList<AppVersionCount> AppVersions,
    IReadOnlyList<DeviceRow> NonCompliant,
    IReadOnlyList<DeviceRow> Stale,
    string StaleAfter)
{
    /// <summary>Devices that enrolled within the stale window and have reported nothing since: nothing to judge yet.</summary>
    public IReadOnlyList<DeviceRow> Unknown { get; init; } = [];

    public static DriftReport Build(IReadOnlyList<HubDevice> devices, DateTimeOffset now, TimeSpan staleAfter, string staleAfterText)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var rows = devices.Select(d => (Device: d, Row: DeviceRow.Of(d, now, staleAfter))).ToList();
        static Func<DeviceRow, bool> In(ComplianceState state) => d => string.Equals(d.Compliance, ComplianceClassifier.Name(state), StringComparison.Ordinal);

        var sites = rows
            .GroupBy(d => d.Row.SiteId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SiteCompliance(
                g.Key,
                g.Count(),
                g.Select(d => d.Row).Count(In(ComplianceState.Compliant)),
                g.Select(d => d.Row).Count(In(ComplianceState.NonCompliant)),
                g.Select(d => d.Row).Count(In(ComplianceState.Unknown)),
                g.Select(d => d.Row).Count(In(ComplianceState.Stale))))
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
            [.. Ordered(rows.Select(d => d.Row).Where(In(ComplianceState.NonCompliant)))],
            [.. Ordered(rows.Select(d => d.Row).Where(In(ComplianceState.Stale)))],
            staleAfterText)
        {
            Unknown = [.. Ordered(rows.Select(d => d.Row).Where(In(ComplianceState.Unknown)))],
        };
    }
}
