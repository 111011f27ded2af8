using EdgeMdm.Edge.SiteUsers;

namespace EdgeMdm.Edge.Cradles;

/// <summary><c>GET /api/v1/cradles</c>: the floor model for the supervisor page; site users only, never devices.</summary>
internal static class CradleEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/cradles", (ICradleFloor floor) => TypedResults.Ok(floor.Cradles()))
            .WithTags("Operator API v1")
            .RequireAuthorization(SiteOperatorAuthentication.Policy);
}
