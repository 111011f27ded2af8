using System.Security.Claims;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Approvals;
using EdgeMdm.Edge.Supervisor.Pages;
using EdgeMdm.ServiceDefaults.WebPages;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>A supervisor's approval of another person's request.</summary>
internal sealed class ApprovalForm
{
    public string? Id { get; set; }
}

/// <summary>
/// The approvals page: the requests that wait for a second person (a large wipe) and the recent ones, and approving one.
/// Whether the signed-in user may approve is the server's decision: a role that may order the action, and not the requester.
/// </summary>
internal static class ApprovalPages
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("/approvals").AddEndpointFilter<PageHeaders>();
        pages.MapGet("", (HttpContext http, ICommandRequests requests, TimeProvider clock, string? message) =>
                Page(http, requests, clock, StatusCodes.Status200OK, message, null))
            .RequireAuthorization(SupervisorAccess.View);
        pages.MapPost("/approve", ApproveAsync).RequireAuthorization(SupervisorAccess.Act).AddEndpointFilter<SameOrigin>();
    }

    private static async Task<IResult> ApproveAsync([FromForm] ApprovalForm form, HttpContext http, ICommandRequests requests, TimeProvider clock)
    {
        if (string.IsNullOrWhiteSpace(form.Id) || form.Id.Length > 64)
            return Page(http, requests, clock, StatusCodes.Status400BadRequest, null, "name the request to approve");
        var role = http.User.FindFirst(ClaimTypes.Role)?.Value;
        var outcome = await requests.ApproveAsync(form.Id, SupervisorAccess.Actor(http.User), action => SiteUserRoles.MayOrder(action, role), clock.GetUtcNow());
        if (outcome.Refusal is { } refusal)
        {
            var status = refusal.Kind switch
            {
                RefusalKind.Forbidden => StatusCodes.Status403Forbidden,
                RefusalKind.NotFound => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status409Conflict,
            };
            return Page(http, requests, clock, status, null, refusal.Detail);
        }

        var approved = outcome.Value!;
        return Results.Redirect("/approvals?message=" + Uri.EscapeDataString($"request {approved.Id} approved: {approved.CommandIds.Count} {approved.CommandType} commands queued"));
    }

    private static RazorComponentResult<ApprovalsPage> Page(HttpContext http, ICommandRequests requests, TimeProvider clock, int status, string? message, string? error) =>
        new(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Requests"] = requests.List(pendingOnly: false, clock.GetUtcNow()).Take(50).ToList(),
            ["User"] = http.User,
            ["Message"] = message is { Length: <= 300 } ? message : null,
            ["Error"] = error,
        })
        {
            StatusCode = status,
        };
}
