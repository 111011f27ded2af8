using EdgeMdm.Cloud.WebConsole.Pages;
using EdgeMdm.Domain.Drift;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>One drift finding's item at a severity, and how many non-compliant devices of a site report it.</summary>
public sealed record FindingCount(string Item, string Severity, int Devices);

/// <summary>A site's drift: its compliance and its non-compliant devices' findings, counted by item and severity.</summary>
public sealed record SiteDrift(string SiteId, string Name, SiteCompliance Compliance, IReadOnlyList<FindingCount> Findings);

/// <summary>
/// Fleet-wide drift: every app's versions on the floor across sites against what the blueprints require
/// (<see cref="AppVersions"/>, as the appliance's overview judges one site), and per site the findings of its
/// non-compliant devices (what the sites judged and reported, as <c>GET /api/v1/devices</c> carries them).
/// </summary>
public sealed record FleetDrift(IReadOnlyList<AppSpread> Apps, IReadOnlyList<SiteDrift> Sites, IReadOnlyDictionary<string, string> SiteNames);

/// <summary>The drift page: <c>/drift</c>, optionally <c>?site=ID</c> for one site.</summary>
internal static class DriftPages
{
    public static void Map(RouteGroupBuilder pages) => pages.MapGet("/drift", DriftAsync);

    private static async Task<IResult> DriftAsync(
        string? site, HttpContext http, ISiteRegistry sites, IFleetReadStore fleet, IBlueprintStore blueprints, IOptions<HubOptions> options,
        TimeProvider clock, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        var now = clock.GetUtcNow();
        var known = await sites.ListSitesAsync(tenant, ct);
        if (site is { Length: > 0 } && !known.Any(s => string.Equals(s.SiteId, site, StringComparison.Ordinal)))
            return ConsoleMissing.Page(http, "Drift", $"This tenant has no site '{site}'.");
        var siteId = site is { Length: > 0 } ? site : null;
        var drift = Build(
            known.Where(s => siteId is null || string.Equals(s.SiteId, siteId, StringComparison.Ordinal)).ToList(),
            await fleet.ListDevicesAsync(tenant, siteId, ct),
            await blueprints.ListBlueprintsAsync(tenant, ct),
            now,
            options.Value.DeviceStaleAfter);
        return ConsolePages.Render<DriftPage>(http, ("Drift", drift), ("Site", siteId), ("AllSites", known));
    }

    /// <summary>The drift of <paramref name="devices"/> (retired ones left out) at <paramref name="now"/>.</summary>
    public static FleetDrift Build(
        IReadOnlyList<SiteSummary> sites, IReadOnlyList<DeviceRecord> devices, IReadOnlyList<Domain.Blueprints.Blueprint> blueprints, DateTimeOffset now, TimeSpan staleAfter)
    {
        var active = devices.Where(d => !string.Equals(d.State, nameof(Domain.Lifecycle.DeviceState.Retired), StringComparison.Ordinal)).ToList();
        var apps = AppVersions.Spread(AppVersions.Count(active.Select(d => (d.SiteId, DeviceViews.Status(d.StatusJson).Apps)), blueprints));
        var classified = active.Select(d => (Device: d, State: ComplianceClassifier.Classify(d.ComplianceInput(), now, staleAfter))).ToList();
        var perSite = sites.Select(s =>
        {
            var own = classified.Where(d => string.Equals(d.Device.SiteId, s.SiteId, StringComparison.Ordinal)).ToList();
            int Count(ComplianceState state) => own.Count(d => d.State == state);
            var findings = own.Where(d => d.State == ComplianceState.NonCompliant)
                .SelectMany(d => d.Device.DriftFindings.DistinctBy(f => (f.Item, f.Severity)))
                .GroupBy(f => (f.Item, f.Severity))
                .Select(g => new FindingCount(g.Key.Item, g.Key.Severity, g.Count()))
                .OrderBy(f => SeverityRank(f.Severity))
                .ThenByDescending(f => f.Devices)
                .ThenBy(f => f.Item, StringComparer.Ordinal)
                .ToList();
            var compliance = new SiteCompliance(
                s.SiteId, own.Count, Count(ComplianceState.Compliant), Count(ComplianceState.NonCompliant), Count(ComplianceState.Unknown), Count(ComplianceState.Stale));
            return new SiteDrift(s.SiteId, s.Name, compliance, findings);
        }).ToList();
        return new FleetDrift(apps, perSite, sites.ToDictionary(s => s.SiteId, s => s.Name, StringComparer.Ordinal));
    }

    /// <summary>Critical first, then Major, Minor, anything else.</summary>
    public static int SeverityRank(string severity) => severity switch
    {
        "Critical" => 0,
        "Major" => 1,
        "Minor" => 2,
        _ => 3,
    };
}
