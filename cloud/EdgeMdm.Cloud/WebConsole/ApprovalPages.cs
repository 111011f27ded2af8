using EdgeMdm.Cloud.WebConsole.Pages;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>The approvals page's list and what it says after an action (a request made, one approved, a refusal).</summary>
public sealed record ConsoleApprovals(IReadOnlyList<ApprovalRecord> Requests, string? Message, string? Error);

/// <summary>A person's approval of another's request (<c>/approvals/{approvalId}/approve</c>).</summary>
internal static class ApprovalPages
{
    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/approvals", (string? requested, string? approved, HttpContext http, IApprovalStore approvals, TimeProvider time, CancellationToken ct) =>
            PageAsync(http, approvals, time, StatusCodes.Status200OK, Message(requested, approved), null, ct)).NarrowsToSiteScope();
        pages.MapPost("/approvals/{approvalId}/approve", ApproveAsync).NarrowsToSiteScope().AddEndpointFilter<SameOrigin>();
    }

    private static string? Message(string? requested, string? approved) =>
        requested is { Length: <= 64 } ? $"Request {requested} waits for a second person's approval."
        : approved is { Length: <= 64 } ? $"Request {approved} approved: its commands are queued."
        : null;

    private static async Task<IResult> ApproveAsync(string approvalId, HttpContext http, IApprovalStore approvals, TimeProvider time, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        var approver = ApprovalDesk.Account(http.User.Identity?.Name ?? ConsoleAccess.Actor(http.User));
        var (approved, refusal) = await ApprovalDesk.ApproveAsync(approvals, tenant, approvalId, approver, http.User, time.GetUtcNow(), ct);
        if (refusal is not null)
        {
            var status = refusal.Kind switch
            {
                RefusalKind.NotFound => StatusCodes.Status404NotFound,
                RefusalKind.Forbidden => StatusCodes.Status403Forbidden,
                _ => StatusCodes.Status409Conflict,
            };
            return await PageAsync(http, approvals, time, status, null, refusal.Detail, ct);
        }

        Audit.AuditFilter.Describe(http, AuditActions.ApprovalGranted, approved!.ApprovalId, ApprovalDesk.Granted(approved));
        return Results.Redirect("/approvals?approved=" + Uri.EscapeDataString(approved.ApprovalId));
    }

    private static async Task<IResult> PageAsync(
        HttpContext http, IApprovalStore approvals, TimeProvider time, int status, string? message, string? error, CancellationToken ct)
    {
        var listed = await approvals.ListAsync(ConsoleAccess.Tenant(http.User), pendingOnly: false, time.GetUtcNow(), ct);
        var reachable = listed.Where(a => a.Sites.All(site => HubAuthorization.MayReachSite(http.User, site))).Take(50).ToList();
        return ConsolePages.RenderWithStatus<ApprovalsPage>(http, status, ("Model", new ConsoleApprovals(reachable, message, error)));
    }
}
