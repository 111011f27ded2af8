using EdgeMdm.Cloud.Api;
using EdgeMdm.Cloud.Storage;

namespace EdgeMdm.Cloud.Sites;

/// <summary>Central IT's sites: register one (its credential answered once) and list them with their sync state.</summary>
internal static class SiteApi
{
    public static RouteGroupBuilder MapSiteApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sites", CreateSiteAsync);
        api.MapGet("/sites", async (HttpContext http, ISiteRegistry sites, TimeProvider time, CancellationToken ct) =>
        {
            var now = time.GetUtcNow();
            return TypedResults.Json((await sites.ListSitesAsync(HubApi.Tenant(http), ct)).Select(s => SiteView.Of(s, now)).ToList(), ApiJson.Default.ListSiteView);
        });
        return api;
    }

    private static async Task<IResult> CreateSiteAsync(HttpContext http, ISiteRegistry sites, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.CreateSiteRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        v.RequiredText("name", body!.Name, 100);
        if (v.Valid && !body.Name!.Any(char.IsAsciiLetterOrDigit))
            v.Add("name", "must hold a letter or digit (the site id is made of them)");
        if (!v.Valid)
            return v.Problem();
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
}

public sealed record CreateSiteRequest(string? Name);

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
