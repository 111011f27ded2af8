using EdgeMdm.Domain.Custody;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Custody;

/// <summary>
/// The sites' chains of custody as the hub stores them: <c>GET /sites/{id}/custody?device=&amp;from=&amp;to=</c> (events by
/// time; <c>from</c>/<c>to</c> a day such as 2026-11-01 or a time, <c>to</c> exclusive or through that day) and
/// <c>GET /sites/{id}/custody/verify?device=</c> (every chain verified over what the hub holds).
/// </summary>
internal static class CustodyApi
{
    public static RouteGroupBuilder MapCustodyApi(this RouteGroupBuilder api)
    {
        api.MapGet("/sites/{siteId}/custody", async (string siteId, string? device, string? from, string? to, HttpContext http, ICustodyStore custody, CancellationToken ct) =>
        {
            var since = from is null ? null : CustodyPeriod.Parse(from, end: false);
            var until = to is null ? null : CustodyPeriod.Parse(to, end: true);
            if (from is not null && since is null)
                return ProblemResults.Invalid("from", $"'{from}' is not a day (2026-11-01) or a time (2026-11-01T08:00:00Z)");
            if (to is not null && until is null)
                return ProblemResults.Invalid("to", $"'{to}' is not a day (2026-11-01) or a time (2026-11-01T08:00:00Z)");
            return await custody.EventsAsync(HubApi.Tenant(http), siteId, Blank(device), since, until, ct) is { } events
                ? TypedResults.Json(events.ToList(), ApiJson.Default.ListCustodyEventView)
                : Problems.NoSite(siteId);
        }).RequireAuthorization(HubAuthorization.Read);
        api.MapGet("/sites/{siteId}/custody/verify", async (string siteId, string? device, HttpContext http, ICustodyStore custody, CancellationToken ct) =>
            await custody.VerifyAsync(HubApi.Tenant(http), siteId, Blank(device), ct) is { } verdict
                ? TypedResults.Json(verdict, ApiJson.Default.CustodyVerificationView)
                : Problems.NoSite(siteId)).RequireAuthorization(HubAuthorization.Read);
        return api;
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
