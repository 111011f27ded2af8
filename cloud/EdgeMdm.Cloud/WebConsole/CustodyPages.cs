using EdgeMdm.Cloud.WebConsole.Pages;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>A site's chains of custody as the hub verified them (null: the site went while the page was read).</summary>
public sealed record ConsoleCustodySite(SiteSummary Site, CustodyVerificationView? Verdict);

/// <summary>
/// The custody and audit page's content for its filters (a site, a device's id or serial; null: any): each site's
/// verdict, the latest custody events (the first <see cref="CustodyPages.Shown"/> of <paramref name="TotalEvents"/>),
/// and the audit trail: the devices' lifecycle transitions, newest first.
/// </summary>
public sealed record ConsoleCustody(
    string? Site, string? Device, IReadOnlyList<ConsoleCustodySite> Sites, IReadOnlyList<CustodyEventView> Events, int TotalEvents,
    IReadOnlyList<SiteTransitionRecord> Transitions)
{
    public string SiteName(string siteId) => Sites.FirstOrDefault(s => string.Equals(s.Site.SiteId, siteId, StringComparison.Ordinal))?.Site.Name ?? siteId;
}

/// <summary>
/// Custody and audit trails across the tenant's sites (<c>/custody</c>): every site's chains verified as
/// <c>GET /sites/{id}/custody/verify</c> does, the recent custody events, and the lifecycle transitions as the audit trail.
/// </summary>
internal static class CustodyPages
{
    /// <summary>The most events, and the most transitions, the page lists.</summary>
    public const int Shown = 200;

    public static void Map(RouteGroupBuilder pages) => pages.MapGet("/custody", ShowAsync);

    private static async Task<IResult> ShowAsync(
        string? site, string? device, HttpContext http, ISiteRegistry sites, ICustodyStore custody, IFleetReadStore fleet, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        (site, device) = (ConsoleDeviceSearch.Blank(site), ConsoleDeviceSearch.Blank(device));
        var all = await sites.ListSitesAsync(tenant, ct);
        if (site is not null && !all.Any(s => string.Equals(s.SiteId, site, StringComparison.Ordinal)))
            return ConsoleRefusals.NotFound(http, $"There is no site '{site}' in your tenant.");

        var chosen = all.Where(s => site is null || string.Equals(s.SiteId, site, StringComparison.Ordinal)).ToList();
        var verdicts = new List<ConsoleCustodySite>();
        var events = new List<CustodyEventView>();
        foreach (var s in chosen)
        {
            verdicts.Add(new ConsoleCustodySite(s, await custody.VerifyAsync(tenant, s.SiteId, device, ct)));
            events.AddRange(await custody.EventsAsync(tenant, s.SiteId, device, null, null, ct) ?? []);
        }

        var latest = events.OrderByDescending(e => e.At).ThenBy(e => e.SiteId, StringComparer.Ordinal).ThenByDescending(e => e.Index).Take(Shown).ToList();
        var model = new ConsoleCustody(site, device, verdicts, latest, events.Count, await TransitionsAsync(fleet, tenant, site, device, ct));
        return ConsolePages.Render<CustodyPage>(http, ("Model", model));
    }

    /// <summary>The audit trail: the device's transitions (at each chosen site that knows it), or the latest of the site's or all sites'.</summary>
    private static async Task<IReadOnlyList<SiteTransitionRecord>> TransitionsAsync(IFleetReadStore fleet, string tenant, string? site, string? device, CancellationToken ct)
    {
        if (device is null)
            return await fleet.ListRecentTransitionsAsync(tenant, site, Shown, ct);
        var trail = new List<SiteTransitionRecord>();
        foreach (var found in (await fleet.FindDeviceAsync(tenant, device, ct)).Where(d => site is null || string.Equals(d.SiteId, site, StringComparison.Ordinal)))
            trail.AddRange((await fleet.ListTransitionsAsync(tenant, found.SiteId, found.DeviceId, ct)).Select(t => new SiteTransitionRecord(found.SiteId, found.DeviceId, t)));
        return trail.OrderByDescending(t => t.Transition.At).Take(Shown).ToList();
    }
}
