using EdgeMdm.Cloud.Audit;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// The REST API for central IT under <c>/api/v1</c>: each feature maps its thin handlers, which check the request,
/// call the feature's store and map its refusals to RFC 9457 problems. Every call but <c>POST /login</c> needs the
/// <see cref="ApiTokenAuthentication.CentralItPolicy"/> policy (<c>Authorization: Bearer &lt;api token&gt;</c>) and
/// acts inside the token's tenant: what belongs to another tenant is answered exactly as what does not exist (404,
/// never 403).
/// </summary>
internal static class HubApi
{
    /// <summary>The API's authentication scheme and policy, and the limits on signing in.</summary>
    public static IServiceCollection AddHubApi(this IServiceCollection services) => services
        .AddApiTokenAuthentication()
        .AddSignInLimits();

    public static IEndpointRouteBuilder MapHubApi(this IEndpointRouteBuilder routes)
    {
        routes.MapLogin();
        var api = routes.MapGroup("/api/v1").RequireAuthorization(ApiTokenAuthentication.CentralItPolicy);
        api.AddEndpointFilter(AuditFilter.ForApi);
        api.MapSiteApi();
        api.MapEnrollmentApi();
        api.MapBlueprintApi();
        api.MapFleetApi();
        api.MapAccountApi();
        api.MapSiteUserApi();
        api.MapPackageApi();
        api.MapRolloutApi();
        api.MapStagingApi();
        api.MapCustodyApi();
        api.MapAuditApi();
        return routes;
    }

    /// <summary>Who the API token speaks for, from the principal its scheme put on the request.</summary>
    internal static ApiCaller Caller(HttpContext context) => ApiTokenAuthentication.CallerOf(context.User);

    /// <summary>The tenant every call acts in: the API token's.</summary>
    internal static string Tenant(HttpContext context) => Caller(context).TenantId;
}
