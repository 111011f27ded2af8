using System.Security.Claims;
using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// Central IT's roles as ASP.NET Core authorization policies, one per <see cref="HubAction"/>: every REST endpoint
/// and every console page declares exactly one of <see cref="Read"/>, <see cref="Operate"/> and <see cref="Administer"/>
/// beside the policy that authenticates its caller (API token or console session), and the route-table test holds them
/// to it. The policies read the caller's role and site scope from the claims both schemes put on the principal
/// (<see cref="HubClaims"/>), so the REST API and the console refuse the same callers.
/// </summary>
/// <remarks>
/// A <see cref="HubRoles.SiteOperator"/> passes only where the endpoint names a site of its scope: the route's
/// <c>{siteId}</c>, or the <c>site</c> query parameter of an endpoint marked <see cref="SiteInQuery"/> (one that
/// narrows what it answers to that site). Elsewhere, tenant-wide, it is refused unless the endpoint is marked
/// <see cref="NarrowsToSiteScope"/>: it narrows its answer to the caller's sites itself. A site outside the scope is
/// answered exactly as a site the tenant does not have (404 "no site"), so a site operator learns nothing of the others.
/// </remarks>
public static class HubAuthorization
{
    public const string Read = "hub-read";
    public const string Operate = "hub-operate";
    public const string Administer = "hub-administer";

    /// <summary>The three policies by the permission each demands.</summary>
    public static IReadOnlyDictionary<string, HubAction> Policies { get; } = new Dictionary<string, HubAction>(StringComparer.Ordinal)
    {
        [Read] = HubAction.Read,
        [Operate] = HubAction.Operate,
        [Administer] = HubAction.Administer,
    };

    internal static IServiceCollection AddHubAuthorization(this IServiceCollection services)
    {
        var builder = services.AddAuthorizationBuilder();
        foreach (var (name, permission) in Policies)
            builder.AddPolicy(name, policy => policy.RequireAuthenticatedUser().AddRequirements(new PermissionRequirement(permission)));
        services.AddSingleton<IAuthorizationHandler, PermissionHandler>();
        // Wraps the handler registered before (the service defaults' refusals of endpoints without a hub policy).
        var inner = services.LastOrDefault(d => d.ServiceType == typeof(IAuthorizationMiddlewareResultHandler));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler>(provider => new RefusalWriter(inner switch
        {
            null => new AuthorizationMiddlewareResultHandler(),
            { ImplementationInstance: IAuthorizationMiddlewareResultHandler instance } => instance,
            { ImplementationFactory: { } factory } => (IAuthorizationMiddlewareResultHandler)factory(provider),
            _ => (IAuthorizationMiddlewareResultHandler)ActivatorUtilities.CreateInstance(provider, inner.ImplementationType!),
        }));
        return services;
    }

    /// <summary>Marks an endpoint whose <c>site</c> query parameter narrows its answer to that site (a site operator may name one of its own).</summary>
    public static TBuilder SiteInQuery<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new SiteInQueryMetadata());

    /// <summary>Marks a tenant-wide endpoint that narrows its answer to a site operator's sites itself (<see cref="MayReachSite"/>).</summary>
    public static TBuilder NarrowsToSiteScope<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new NarrowsToSiteScopeMetadata());

    /// <summary>Whether the caller reaches <paramref name="siteId"/>: every role but a site operator reaches every site of its tenant.</summary>
    public static bool MayReachSite(ClaimsPrincipal user, string? siteId)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!HubRoles.IsSiteScoped(user.FindFirstValue(ClaimTypes.Role)))
            return true;
        return siteId is not null && user.FindAll(HubClaims.Site).Any(c => string.Equals(c.Value, siteId, StringComparison.Ordinal));
    }

    private sealed record SiteInQueryMetadata;

    private sealed record NarrowsToSiteScopeMetadata;

    private sealed class PermissionRequirement(HubAction permission) : IAuthorizationRequirement
    {
        public HubAction Permission => permission;
    }

    /// <summary>A site operator's call naming a site outside its scope: answered as a site that does not exist.</summary>
    private sealed class SiteOutOfScope(IAuthorizationHandler handler, string siteId)
        : AuthorizationFailureReason(handler, $"site '{siteId}' is not in the caller's scope")
    {
        public string SiteId => siteId;
    }

    private sealed class PermissionHandler : AuthorizationHandler<PermissionRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PermissionRequirement requirement)
        {
            var role = context.User.FindFirstValue(ClaimTypes.Role);
            if (!HubRoles.Allows(role, requirement.Permission))
            {
                context.Fail(new AuthorizationFailureReason(this, RoleRefusal(role, requirement.Permission)));
                return Task.CompletedTask;
            }

            if (!HubRoles.IsSiteScoped(role) || context.Resource is not HttpContext http)
            {
                // Without the request there is no site to check: only a role that reaches every site passes.
                if (HubRoles.IsSiteScoped(role))
                    context.Fail(new AuthorizationFailureReason(this, "a site operator's call must name one of its sites"));
                else
                    context.Succeed(requirement);
                return Task.CompletedTask;
            }

            var endpoint = http.GetEndpoint();
            var site = http.GetRouteValue("siteId") as string
                ?? (endpoint?.Metadata.GetMetadata<SiteInQueryMetadata>() is not null ? (string?)http.Request.Query["site"] : null);
            if (site is not null)
            {
                if (MayReachSite(context.User, site))
                    context.Succeed(requirement);
                else
                    context.Fail(new SiteOutOfScope(this, site));
            }
            else if (endpoint?.Metadata.GetMetadata<NarrowsToSiteScopeMetadata>() is not null)
            {
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new AuthorizationFailureReason(this,
                    "a site operator may not do this tenant-wide; name one of its sites (--site) where the call takes one"));
            }

            return Task.CompletedTask;
        }

        private static string RoleRefusal(string? role, HubAction permission)
        {
            var allowed = HubRoles.All.Where(r => HubRoles.Allows(r, permission));
            return $"the role '{role ?? "none"}' may not do this; it needs {string.Join(" or ", allowed)}";
        }
    }

    /// <summary>
    /// Writes the hub's refusals of an authenticated caller: 404 "no site" for a site outside a site operator's scope
    /// (as a missing one), otherwise 403 with the problem body naming the roles that may. Unauthenticated callers get
    /// their scheme's own challenge (401 with its problem body).
    /// </summary>
    private sealed class RefusalWriter(IAuthorizationMiddlewareResultHandler inner) : IAuthorizationMiddlewareResultHandler
    {
        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            // Only the hub's own policies: the sync service's site credential refusals stay gRPC statuses.
            if (!authorizeResult.Forbidden || authorizeResult.AuthorizationFailure is not { } failure || !policy.Requirements.OfType<PermissionRequirement>().Any())
            {
                await inner.HandleAsync(next, context, policy, authorizeResult);
                return;
            }

            var api = context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal);
            if (failure.FailureReasons.OfType<SiteOutOfScope>().FirstOrDefault() is { } outOfScope)
            {
                await (api ? Problems.NoSite(outOfScope.SiteId) : ConsoleRefusals.NotFound(context, $"site {outOfScope.SiteId}")).ExecuteAsync(context);
                return;
            }

            var reason = failure.FailureReasons.FirstOrDefault()?.Message ?? "the caller's role may not do this";
            await ProblemResults.Create(StatusCodes.Status403Forbidden, "Forbidden", reason).ExecuteAsync(context);
        }
    }
}

/// <summary>The claims that say what a hub caller may do, put on the principal by the API token scheme and the console's sign-in alike.</summary>
public static class HubClaims
{
    /// <summary>One claim per site of a site operator's scope.</summary>
    public const string Site = "edgemdm:site";

    /// <summary>The role as <see cref="ClaimTypes.Role"/> and the scope as <see cref="Site"/> claims.</summary>
    public static IEnumerable<Claim> Of(HubGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        yield return new Claim(ClaimTypes.Role, grant.Role);
        foreach (var site in grant.Sites)
            yield return new Claim(Site, site);
    }

    public static HubGrant GrantOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new HubGrant(user.FindFirstValue(ClaimTypes.Role) ?? "", user.FindAll(Site).Select(c => c.Value).ToList());
    }
}
