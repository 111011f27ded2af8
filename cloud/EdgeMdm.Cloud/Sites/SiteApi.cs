namespace EdgeMdm.Cloud.Sites;

/// <summary>Central IT's sites: register one (its credential answered once), rename one, and list them with their sync state.</summary>
internal static class SiteApi
{
    public static RouteGroupBuilder MapSiteApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sites", CreateSiteAsync).RequireAuthorization(HubAuthorization.Operate);
        api.MapPatch("/sites/{siteId}", RenameSiteAsync).RequireAuthorization(HubAuthorization.Operate);
        api.MapGet("/sites", async (HttpContext http, ISiteRegistry sites, TimeProvider time, CancellationToken ct) =>
        {
            var now = time.GetUtcNow();
            var reachable = (await sites.ListSitesAsync(HubApi.Tenant(http), ct)).Where(s => HubAuthorization.MayReachSite(http.User, s.SiteId));
            return TypedResults.Json(reachable.Select(s => SiteView.Of(s, now)).ToList(), ApiJson.Default.ListSiteView);
        }).RequireAuthorization(HubAuthorization.Read).NarrowsToSiteScope();
        return api;
    }

    private static async Task<IResult> CreateSiteAsync(HttpContext http, ISiteRegistry sites, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.CreateSiteRequest);
        if (problem is not null)
            return problem;
        if (NameProblem(body!.Name) is { } invalid)
            return invalid;
        try
        {
            var site = await sites.AddSiteAsync(HubApi.Tenant(http), body.Name!.Trim(), ct);
            return TypedResults.Json(new SiteCreated(site.SiteId, site.Credential), ApiJson.Default.SiteCreated,
                statusCode: StatusCodes.Status201Created);
        }
        catch (StoreConflictException exception)
        {
            return Problems.Conflict(exception.Message);
        }
    }

    /// <summary>
    /// PATCH /api/v1/sites/{siteId} <c>{"name": ...}</c>: the site keeps its id; its appliance learns the name from
    /// its feed. 200 with the site as listed; 404 for a site the tenant does not have.
    /// </summary>
    private static async Task<IResult> RenameSiteAsync(
        string siteId, HttpContext http, ISiteRegistry sites, TimeProvider time, ILogger<RenameSiteRequest> logger, CancellationToken ct)
    {
        var tenant = HubApi.Tenant(http);
        var (body, problem) = await JsonBody.ReadForSiteAsync(http.Request, sites, tenant, siteId, ApiJson.Default.RenameSiteRequest, ct);
        if (problem is not null)
            return problem;
        if (NameProblem(body!.Name) is { } invalid)
            return invalid;
        var name = body.Name!.Trim();
        try
        {
            if (await sites.RenameSiteAsync(tenant, siteId, name, ct))
                SiteLog.Renamed(logger, siteId, name);
        }
        catch (StoreConflictException)
        {
            return Problems.NoSite(siteId);
        }

        var site = (await sites.ListSitesAsync(tenant, ct)).Single(s => string.Equals(s.SiteId, siteId, StringComparison.Ordinal));
        return TypedResults.Json(SiteView.Of(site, time.GetUtcNow()), ApiJson.Default.SiteView);
    }

    /// <summary>A site's name: 1–100 characters with a letter or digit (a new site's id is made of them); null when valid.</summary>
    private static IResult? NameProblem(string? name)
    {
        var v = new Validation();
        v.RequiredText("name", name, 100);
        if (v.Valid && !name!.Any(char.IsAsciiLetterOrDigit))
            v.Add("name", "must hold a letter or digit (the site id is made of them)");
        return v.Valid ? null : v.Problem();
    }
}

public sealed record CreateSiteRequest(string? Name);

public sealed record RenameSiteRequest(string? Name);

public sealed record SiteCreated(string SiteId, string Credential);

/// <summary>
/// A site as central IT sees it. <c>Backlog</c> and <c>LagSeconds</c> are null until the site reported its
/// sync in a Hello (see <see cref="SiteSummary.Backlog"/> and <see cref="SiteSummary.Lag"/> for the formulas);
/// <c>UplinkState</c>, <c>OldestPendingAt</c> and <c>ReportedAt</c> are that report.
/// </summary>
public sealed record SiteView(
    string SiteId, string Name, DateTimeOffset? LastSyncAt, ulong AppliedThrough, ulong FeedHead,
    ulong? Backlog, long? LagSeconds, string? UplinkState, DateTimeOffset? OldestPendingAt, DateTimeOffset? ReportedAt)
{
    public static SiteView Of(SiteSummary s, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(
            s.SiteId, s.Name, s.LastSyncAt, s.AppliedThrough, s.FeedHead,
            s.Backlog, s.Lag(now) is { } lag ? (long)lag.TotalSeconds : null, s.Report?.UplinkState, s.Report?.OldestPendingAt, s.ReportedAt);
    }
}
