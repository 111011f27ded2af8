using System.Security.Claims;
using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// Who may use the console: a person signed in with one of the hub's accounts. An account may do everything in its
/// own tenant and nothing outside it, as its API tokens may (<see cref="ApiTokenAuthentication.CentralItPolicy"/>):
/// the console's actions are the CLI's, under the same authorization.
/// </summary>
public static class ConsoleAccess
{
    public const string Policy = "console";

    /// <summary>The role every console session carries: central IT (accounts have no finer roles).</summary>
    public const string CentralItRole = "central-it";

    private const string TenantClaim = "edgemdm:console-tenant";

    internal static IServiceCollection AddConsolePolicy(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(WebSignInSetup.Scheme)
            .RequireAuthenticatedUser()
            .RequireRole(CentralItRole)
            .RequireClaim(TenantClaim));
        return services;
    }

    /// <summary>The session's account as sessions and logs name it: <c>tenant:user</c>.</summary>
    public static string AccountOf(string tenant, string user) => SignInAccounts.Key(tenant, user);

    /// <summary>A principal for a person of <paramref name="tenant"/> signing in now.</summary>
    internal static ClaimsPrincipal Principal(string tenant, string user, string passwordHash, DateTimeOffset now)
    {
        var principal = WebSignInSetup.Principal(AccountOf(tenant, user), user, CentralItRole, VersionOf(passwordHash), now);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(TenantClaim, tenant));
        return principal;
    }

    /// <summary>The tenant a signed-in person acts in.</summary>
    public static string Tenant(ClaimsPrincipal user) =>
        TenantOrNull(user) ?? throw new InvalidOperationException($"the endpoint does not require the {Policy} policy");

    internal static string? TenantOrNull(ClaimsPrincipal user) => user?.FindFirst(TenantClaim)?.Value;

    /// <summary>Who acted, for logs and histories: <c>console:tenant:user</c>.</summary>
    public static string Actor(ClaimsPrincipal user) => "console:" + (user?.FindFirst(WebSignInClaims.Account)?.Value ?? "unknown");

    /// <summary>
    /// The password as it was at sign-in, without the hash itself in the ticket: a password change gives another
    /// version, and the session ends.
    /// </summary>
    internal static string VersionOf(string passwordHash) => CanonicalHash.Sha256Hex(passwordHash)[..16];
}
