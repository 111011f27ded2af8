using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeMdm.ServiceDefaults;

/// <summary>An endpoint that declared neither a policy nor <c>AllowAnonymous</c>, named for a test failure message.</summary>
public sealed record UnprotectedEndpoint(RouteEndpoint Endpoint, string Description)
{
    public override string ToString() => Description;
}

/// <summary>
/// The route-table rule both servers' tests assert: every endpoint says who may call it. The refusing fallback policy
/// keeps an endpoint that forgot closed at run time; this finds it at test time, with its name.
/// </summary>
public static class EndpointPolicies
{
    /// <summary>
    /// Every <see cref="RouteEndpoint"/> (minimal API, controller, gRPC method alike) with no authorization metadata:
    /// no <c>[Authorize]</c>/<c>RequireAuthorization</c> (by name, by policy object or by requirement) and no
    /// <c>AllowAnonymous</c>.
    /// </summary>
    public static IReadOnlyList<UnprotectedEndpoint> Unprotected(IEnumerable<Endpoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return [.. endpoints
            .OfType<RouteEndpoint>()
            .Where(e => !Declares(e.Metadata))
            .Select(e => new UnprotectedEndpoint(e, Describe(e)))];
    }

    /// <summary>The same, over every endpoint mapped on <paramref name="app"/> (a built <c>WebApplication</c>).</summary>
    public static IReadOnlyList<UnprotectedEndpoint> Unprotected(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return Unprotected(app.DataSources.SelectMany(source => source.Endpoints));
    }

    /// <summary>
    /// Whether <paramref name="endpoint"/> is one routing makes up to refuse a request (405: no endpoint takes the
    /// method; 415: none accepts the content type): a plain endpoint with no route and no metadata, which only writes
    /// its status code.
    /// </summary>
    public static bool IsRoutingRejection(Endpoint? endpoint) =>
        endpoint is not null and not RouteEndpoint && endpoint.Metadata.Count == 0;

    private static bool Declares(EndpointMetadataCollection metadata) =>
        metadata.GetMetadata<IAllowAnonymous>() is not null
        || metadata.GetMetadata<IAuthorizeData>() is not null
        || metadata.GetMetadata<AuthorizationPolicy>() is not null
        || metadata.GetMetadata<IAuthorizationRequirementData>() is not null;

    private static string Describe(RouteEndpoint endpoint)
    {
        var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
        var verb = methods is { Count: > 0 } ? string.Join(',', methods) : "ANY";
        return $"{verb} /{endpoint.RoutePattern.RawText?.TrimStart('/')}";
    }
}
