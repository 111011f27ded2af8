using EdgeMdm.Cloud.WebConsole.Pages;
using EdgeMdm.ServiceDefaults.WebPages;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// One site as the console shows it: its sync state as the hub last heard it, and its devices' compliance as the
/// site last reported them (<see cref="DataAsOf"/>: when a site is offline, its figures are that old).
/// </summary>
public sealed record ConsoleSite(SiteSummary Site, SiteCompliance Compliance, TimeSpan? Lag)
{
    /// <summary>When the hub last heard from the site: its figures are as of then.</summary>
    public DateTimeOffset? DataAsOf => Site.ReportedAt ?? Site.LastSyncAt;

    /// <summary>Silent for more than <see cref="SiteSummary.SilentAfter"/>, or never heard from.</summary>
    public bool Offline(DateTimeOffset now) => DataAsOf is not { } at || now - at > SiteSummary.SilentAfter;
}

/// <summary>All sites at a glance, at the console's root.</summary>
internal static class SitesPages
{
    /// <summary>The landing page of everyone signed in: a site operator sees its own sites only.</summary>
    public static void Map(RouteGroupBuilder pages) => pages.MapGet("/", SitesAsync).NarrowsToSiteScope();

    private static async Task<RazorComponentResult<SitesPage>> SitesAsync(
        HttpContext http, ISiteRegistry sites, IFleetReadStore fleet, IOptions<HubOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        var now = clock.GetUtcNow();
        var compliance = (await fleet.ComplianceAsync(tenant, now, options.Value.DeviceStaleAfter, ct)).ToDictionary(c => c.SiteId, StringComparer.Ordinal);
        var rows = (await sites.ListSitesAsync(tenant, ct))
            .Where(s => HubAuthorization.MayReachSite(http.User, s.SiteId))
            .Select(s => new ConsoleSite(s, compliance.GetValueOrDefault(s.SiteId) ?? new SiteCompliance(s.SiteId, 0, 0), s.Lag(now)))
            .ToList();
        return ConsolePages.Render<SitesPage>(http, ("Sites", rows), ("At", now));
    }
}
