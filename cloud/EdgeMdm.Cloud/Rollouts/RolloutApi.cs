namespace EdgeMdm.Cloud.Rollouts;

/// <summary>The rollout report for central IT, behind the API token filter of <see cref="HubApi"/>, per tenant.</summary>
internal static class RolloutApi
{
    public static RouteGroupBuilder MapRolloutApi(this RouteGroupBuilder api)
    {
        api.MapGet("/rollouts", ReportAsync).RequireAuthorization(HubAuthorization.Read).SiteInQuery();
        return api;
    }

    /// <summary>
    /// GET /api/v1/rollouts[?packageName=N][&amp;site=S]: each group's current rollout of the package (of every package
    /// without packageName: an empty list when there is none) with its devices judged from what the sites reported
    /// (<see cref="RolloutReporter"/>); 400 for an empty packageName or site, 404 for a site the tenant does not have or
    /// when no group has a current rollout of the named package.
    /// </summary>
    private static async Task<IResult> ReportAsync(
        string? packageName, string? site, HttpContext http, ISiteRegistry sites, IRolloutReport rollouts, CancellationToken ct)
    {
        var v = new Validation();
        if (packageName is not null)
            v.RequiredText("packageName", packageName);
        if (site is not null)
            v.RequiredText("site", site);
        if (!v.Valid)
            return v.Problem();
        var tenant = HubApi.Tenant(http);
        if (site is not null && !await sites.SiteExistsAsync(tenant, site, ct))
            return Problems.NoSite(site);
        var report = await rollouts.ReportAsync(tenant, packageName, site, ct);
        return report.Count == 0 && packageName is not null
            ? Problems.NotFound($"no group is rolling out '{packageName}': a rollout starts when a blueprint changes the version code of an app its group already has")
            : TypedResults.Json(report.ToList(), ApiJson.Default.ListRolloutView);
    }
}
