using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Catalog;
using EdgeMdm.Cloud.Enrollment;
using EdgeMdm.Cloud.Fleet;
using EdgeMdm.Cloud.Packages;
using EdgeMdm.Cloud.Rollouts;
using EdgeMdm.Cloud.Sites;
using EdgeMdm.Cloud.SiteUsers;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// The REST API for central IT under <c>/api/v1</c>: each feature maps its thin handlers, which check the request,
/// call the feature's store and map its refusals to RFC 9457 problems. Every call but <c>POST /login</c> needs
/// <c>Authorization: Bearer &lt;api token&gt;</c> and acts inside the token's tenant: what belongs to another
/// tenant is answered exactly as what does not exist (404, never 403).
/// </summary>
internal static class HubApi
{
    private const string CallerKey = "edgemdm.caller";

    public static IEndpointRouteBuilder MapHubApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/login", AccountApi.LoginAsync);
        var api = routes.MapGroup("/api/v1").AddEndpointFilter(AuthenticateAsync);
        api.MapSiteApi();
        api.MapEnrollmentApi();
        api.MapBlueprintApi();
        api.MapFleetApi();
        api.MapAccountApi();
        api.MapSiteUserApi();
        api.MapPackageApi();
        api.MapRolloutApi();
        return routes;
    }

    /// <summary>Who the API token speaks for, set by the authentication filter.</summary>
    internal static ApiCaller Caller(HttpContext context) =>
        context.Items[CallerKey] as ApiCaller ?? throw new InvalidOperationException("the endpoint runs without the authentication filter");

    /// <summary>The tenant every call acts in: the API token's.</summary>
    internal static string Tenant(HttpContext context) => Caller(context).TenantId;

    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        var token = header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? header[Bearer.Length..].Trim() : "";
        var tokens = http.RequestServices.GetRequiredService<IAdminTokens>();
        var caller = token.Length == 0 ? null : await tokens.AuthenticateApiTokenAsync(token, http.RequestAborted);
        if (caller is null)
        {
            var reason = token.Length == 0 ? "no bearer token" : "unknown or expired API token";
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HubApi).FullName!);
            ApiLog.ApiUnauthenticated(logger, http.Request.Method, http.Request.Path, reason);
            return Problems.Unauthorized(token.Length == 0
                ? "the call needs 'Authorization: Bearer <api token>' (create one with 'edgemdm-cloud admin-token create')"
                : "the API token is not known to this hub or has expired (sign in again with 'edgemdm login')");
        }

        http.Items[CallerKey] = caller;
        return await next(invocation);
    }
}
