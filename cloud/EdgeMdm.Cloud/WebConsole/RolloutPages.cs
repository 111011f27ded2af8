using EdgeMdm.Cloud.WebConsole.Pages;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// Rollouts across sites at <c>/rollouts</c> (<c>?package=NAME</c>, <c>?site=ID</c> narrow it as they narrow
/// <c>GET /api/v1/rollouts</c>): the same report (<see cref="IRolloutReport"/>), drawn as progress per site.
/// </summary>
internal static class RolloutPages
{
    /// <summary>The most stragglers listed per rollout (the count says how many there are).</summary>
    public const int MaxStragglers = 100;

    public static void Map(RouteGroupBuilder pages) => pages.MapGet("/rollouts", RolloutsAsync);

    private static async Task<IResult> RolloutsAsync(string? package, string? site, HttpContext http, ISiteRegistry sites, IRolloutReport rollouts, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        var packageName = string.IsNullOrWhiteSpace(package) ? null : package.Trim();
        var siteId = string.IsNullOrWhiteSpace(site) ? null : site.Trim();
        var known = await sites.ListSitesAsync(tenant, ct);
        if (siteId is not null && !known.Any(s => string.Equals(s.SiteId, siteId, StringComparison.Ordinal)))
            return ConsoleMissing.Page(http, "Rollouts", $"This tenant has no site '{siteId}'.");
        var report = await rollouts.ReportAsync(tenant, packageName, siteId, ct);
        return ConsolePages.Render<RolloutsPage>(
            http, ("Rollouts", report), ("SiteNames", known.ToDictionary(s => s.SiteId, s => s.Name, StringComparer.Ordinal)),
            ("Package", packageName), ("Site", siteId), ("AllSites", known));
    }
}
