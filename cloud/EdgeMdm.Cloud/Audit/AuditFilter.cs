using System.Globalization;
using EdgeMdm.Domain.Audit;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Audit;

/// <summary>
/// Records every change a person makes through a group of endpoints (the REST API, the console's actions): each
/// POST, PUT, PATCH or DELETE that succeeded goes into its tenant's chain with who (<paramref name="caller"/>), what (the
/// endpoint's route, named by <see cref="ActionOf"/>), the subject (its route values) and from where (the peer's
/// address). A wrapper around the endpoints rather than a call in each handler, so no new endpoint is left out.
/// The record is written after the change's own transaction; a refused call (4xx) changes nothing and is not recorded.
/// </summary>
public sealed class AuditFilter(Func<HttpContext, (string Tenant, string Actor)?> caller) : IEndpointFilter
{
    private static readonly Dictionary<string, string> Actions = new(StringComparer.Ordinal)
    {
        ["POST /api/v1/sites"] = AuditActions.SiteAdded,
        ["PATCH /api/v1/sites/{siteId}"] = "site.renamed",
        ["POST /api/v1/sites/{siteId}/users"] = AuditActions.UserChanged,
        ["DELETE /api/v1/sites/{siteId}/users/{userName}"] = AuditActions.UserRemoved,
        ["POST /api/v1/sites/{siteId}/tokens"] = AuditActions.TokenIssued,
        ["POST /sites/{siteId}/tokens"] = AuditActions.TokenIssued,
        ["PUT /api/v1/blueprints/{group}"] = AuditActions.BlueprintApplied,
        ["POST /blueprints"] = AuditActions.BlueprintApplied,
        ["DELETE /api/v1/blueprints/{group}"] = AuditActions.BlueprintDeleted,
        ["POST /blueprints/delete"] = AuditActions.BlueprintDeleted,
        ["POST /api/v1/commands"] = AuditActions.CommandQueued,
        ["POST /devices/{siteId}/{deviceId}/commands"] = AuditActions.CommandQueued,
        ["POST /api/v1/accounts"] = AuditActions.AccountChanged,
        ["DELETE /api/v1/accounts/{userName}"] = "account.removed",
        ["POST /api/v1/packages"] = AuditActions.Package,
        ["PUT /api/v1/staging-plans/{name}"] = "staging-plan.applied",
        ["DELETE /api/v1/staging-plans/{name}"] = "staging-plan.deleted",
    };

    /// <summary>The filter for <c>/api/v1</c>: the API token's tenant and account (or the token's name).</summary>
    public static AuditFilter ForApi { get; } = new(http =>
    {
        var c = EdgeMdm.Cloud.Api.ApiTokenAuthentication.CallerOf(http.User);
        return (c.TenantId, c.Account is { } account ? "account:" + account : "token:" + c.Name);
    });

    /// <summary>The filter for the console's pages: the session's tenant and account.</summary>
    public static AuditFilter ForConsole { get; } = new(http =>
        WebConsole.ConsoleAccess.TenantOrNull(http.User) is { } tenant ? (tenant, WebConsole.ConsoleAccess.Actor(http.User)) : null);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var result = await next(context);
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || StatusOf(result) >= 400 || caller(http) is not { } who)
            return result;
        var action = ActionOf(http);
        // "compare" is a dry run: it changes nothing.
        if (action.EndsWith("/compare", StringComparison.Ordinal))
            return result;
        var subject = string.Join(' ', http.Request.RouteValues.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => Convert.ToString(v.Value, CultureInfo.InvariantCulture)));
        var detail = $"{http.Request.Method} {http.Request.Path} → {StatusOf(result).ToString(CultureInfo.InvariantCulture)}";
        if (http.Items[DescriptionKey] is Description described)
            (action, subject, detail) = (described.Action, described.Subject, detail + ": " + described.Detail);
        var entry = new AuditEntry(who.Actor, action, subject, RateLimits.RemoteAddress(http), detail);
        await http.RequestServices.GetRequiredService<IHubAudit>().RecordAsync(who.Tenant, entry, CancellationToken.None);
        return result;
    }

    private static readonly object DescriptionKey = new();

    private sealed record Description(string Action, string Subject, string Detail);

    /// <summary>
    /// What the handler says of its change, in place of the route's name and values: the action (one handler may do
    /// either of two things: queue a command, or hold it for an approval), its subject, and a detail such as the reason,
    /// which the record carries after the method, path and status.
    /// </summary>
    public static void Describe(HttpContext http, string action, string subject, string detail)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Items[DescriptionKey] = new Description(action, subject, detail);
    }

    /// <summary>The audit action an endpoint's route names, or the method and route itself when it has no short name.</summary>
    internal static string ActionOf(HttpContext http)
    {
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value ?? "";
        var key = $"{http.Request.Method} {(route.StartsWith('/') ? route : "/" + route)}";
        return Actions.GetValueOrDefault(key) ?? key;
    }

    private static int StatusOf(object? result) => result is IStatusCodeHttpResult { StatusCode: { } status } ? status : StatusCodes.Status200OK;
}
