using System.Text;
using EdgeMdm.Cloud.Api;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Custody;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Audit;

/// <summary>
/// The tenant's audit trail: <c>GET /audit?site=&amp;from=&amp;to=&amp;format=csv|jsonl</c> (the hub's own chain, or with
/// <c>site</c> that site's, by time; <c>from</c>/<c>to</c> a day such as 2026-11-01 or a time, <c>to</c> exclusive or
/// through that day) and <c>GET /audit/verify?site=</c> (the tenant's chain and its sites' verified as stored).
/// </summary>
internal static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", async (string? site, string? from, string? to, string? format, HttpContext http, IHubAudit audit, CancellationToken ct) =>
        {
            var since = from is null ? null : CustodyPeriod.Parse(from, end: false);
            var until = to is null ? null : CustodyPeriod.Parse(to, end: true);
            if (from is not null && since is null)
                return ProblemResults.Invalid("from", $"'{from}' is not a day (2026-11-01) or a time (2026-11-01T08:00:00Z)");
            if (to is not null && until is null)
                return ProblemResults.Invalid("to", $"'{to}' is not a day (2026-11-01) or a time (2026-11-01T08:00:00Z)");
            if (AuditExport.ParseFormat(format ?? "jsonl") is not { } form)
                return ProblemResults.Invalid("format", $"'{format}' is neither csv nor jsonl");
            var siteId = string.IsNullOrWhiteSpace(site) ? null : site.Trim();
            if (await audit.RecordsAsync(HubApi.Tenant(http), siteId, since, until, ct) is not { } records)
                return Problems.NoSite(siteId!);
            using var text = new StringWriter();
            AuditExport.Write(text, records, form);
            return Results.Text(text.ToString(), form == AuditFormat.Csv ? "text/csv; charset=utf-8" : "application/jsonl; charset=utf-8", Encoding.UTF8);
        }).RequireAuthorization(HubAuthorization.Read).SiteInQuery();
        api.MapGet("/audit/verify", async (string? site, HttpContext http, IHubAudit audit, CancellationToken ct) =>
        {
            var siteId = string.IsNullOrWhiteSpace(site) ? null : site.Trim();
            return await audit.VerifyAsync(HubApi.Tenant(http), siteId, ct) is { } verdict
                ? TypedResults.Json(verdict, ApiJson.Default.AuditVerificationView)
                : Problems.NoSite(siteId!);
        }).RequireAuthorization(HubAuthorization.Read).SiteInQuery();
        return api;
    }
}
