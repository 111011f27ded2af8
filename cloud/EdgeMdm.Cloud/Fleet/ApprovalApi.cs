using System.Globalization;
using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Audit;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>
/// Requests waiting for a second person (a wipe of more than <c>Cloud:DangerousActions:WipeApprovalThreshold</c>
/// devices): <c>GET /api/v1/approvals</c> lists them, <c>POST /api/v1/approvals/{approvalId}/approve</c> approves one
/// and queues its commands once. A site operator sees and approves only requests whose devices are all at its sites.
/// </summary>
internal static class ApprovalApi
{
    public static RouteGroupBuilder MapApprovalApi(this RouteGroupBuilder api)
    {
        api.MapGet("/approvals", ListAsync).RequireAuthorization(HubAuthorization.Read).NarrowsToSiteScope();
        api.MapPost("/approvals/{approvalId}/approve", ApproveRequestAsync).RequireAuthorization(HubAuthorization.Operate).NarrowsToSiteScope();
        return api;
    }

    private static async Task<IResult> ListAsync(bool? all, HttpContext http, IApprovalStore approvals, TimeProvider time, CancellationToken ct)
    {
        var listed = await approvals.ListAsync(HubApi.Tenant(http), pendingOnly: all != true, time.GetUtcNow(), ct);
        return TypedResults.Json(listed.Where(a => Reaches(http, a)).ToList(), ApiJson.Default.ListApprovalRecord);
    }

    private static async Task<IResult> ApproveRequestAsync(string approvalId, HttpContext http, IApprovalStore approvals, TimeProvider time, ILogger<ApprovalRecord> log, CancellationToken ct)
    {
        var (tenant, approver) = (HubApi.Tenant(http), ApprovalDesk.Person(HubApi.Caller(http)));
        var (approved, refusal) = await ApprovalDesk.ApproveAsync(approvals, tenant, approvalId, approver, http.User, time.GetUtcNow(), ct);
        if (refusal is not null)
            return Problem(refusal);
        FleetLog.ApprovalGranted(log, approved!.ApprovalId, approver, approved.CommandIds.Count, approved.Type);
        AuditFilter.Describe(http, AuditActions.ApprovalGranted, approved.ApprovalId, ApprovalDesk.Granted(approved));
        return TypedResults.Json(approved, ApiJson.Default.ApprovalRecord);
    }

    /// <summary>Names what <c>POST /api/v1/commands</c> did in the audit trail: the command and its reason, or the approval it waits for.</summary>
    internal static void DescribeRequest(HttpContext http, IResult answer, QueueCommandRequest body)
    {
        var target = body.Group is { } group ? "group " + group : body.DeviceId ?? "";
        if (answer is IValueHttpResult { Value: ApprovalRecord pending })
        {
            AuditFilter.Describe(http, AuditActions.ApprovalRequested, pending.ApprovalId,
                $"{pending.Type} of {pending.Devices.ToString(CultureInfo.InvariantCulture)} devices ({pending.Target}) waits for a second person until {pending.ExpiresAt:O}: {pending.Reason}");
        }
        else
        {
            AuditFilter.Describe(http, AuditActions.CommandQueued, target, $"{body.Type} {body.Reason?.Trim()}".TrimEnd());
        }
    }

    private static bool Reaches(HttpContext http, ApprovalRecord approval) => approval.Sites.All(site => HubAuthorization.MayReachSite(http.User, site));

    private static IResult Problem(Refusal refusal) => refusal.Kind switch
    {
        RefusalKind.NotFound => Problems.NotFound(refusal.Detail),
        _ => ProblemResults.Create(refusal.Kind == RefusalKind.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status409Conflict, refusal.Title, refusal.Detail, refusal.Type),
    };
}

/// <summary>
/// Approving as the API and the console both do, and the person each names, so that one account is one person
/// whichever surface it uses.
/// </summary>
public static class ApprovalDesk
{
    /// <summary>
    /// The person behind an API token, as approvals compare them: the account it was issued to, or the token itself
    /// (an admin token of no account). The console names the same account the same way.
    /// </summary>
    public static string Person(ApiCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Account is { } account ? Account(account) : "token:" + caller.Name;
    }

    /// <summary>An account as approvals name it, whether it signed in to the API or the console.</summary>
    public static string Account(string userName) => "account:" + userName;

    /// <summary>
    /// The approval by <paramref name="approver"/> as the API and the console make it: the request approved (its commands
    /// queued), or why not (404 unknown or out of the caller's sites; 403 role or the requester; 409 approved or expired).
    /// </summary>
    public static async Task<(ApprovalRecord? Approved, Refusal? Refusal)> ApproveAsync(
        IApprovalStore approvals, string tenant, string approvalId, string approver, System.Security.Claims.ClaimsPrincipal user, DateTimeOffset now, CancellationToken ct)
    {
        var found = await approvals.FindAsync(tenant, approvalId, now, ct);
        if (found is null || !found.Sites.All(site => HubAuthorization.MayReachSite(user, site)))
            return (null, new Refusal(RefusalKind.NotFound, "Not found", $"no approval request '{approvalId}'"));
        var mayOrder = HubRoles.Allows(HubClaims.GrantOf(user).Role, HubAction.Operate);
        if (DangerousActions.ApprovalRefusal(found.ToRequest(), approver, mayOrder, now) is { } refused)
            return (null, refused);
        // Between the checks and the update another approver may have won, or the window closed: the update says so.
        return await approvals.ApproveAsync(tenant, approvalId, approver, now, ct) is { } approved
            ? (approved, null)
            : (null, DangerousActions.ApprovalRefusal(found.ToRequest() with { Status = ApprovalStatus.Approved, ApprovedBy = "another approver" }, approver, mayOrder, now));
    }

    /// <summary>The audit record's detail of an approval: what it let through, whose request it was, and why.</summary>
    public static string Granted(ApprovalRecord approved) =>
        $"{approved.Type} of {approved.Devices.ToString(CultureInfo.InvariantCulture)} devices ({approved.Target}) requested by {approved.RequestedBy}, " +
        $"{approved.CommandIds.Count.ToString(CultureInfo.InvariantCulture)} commands queued: {approved.Reason}";
}
