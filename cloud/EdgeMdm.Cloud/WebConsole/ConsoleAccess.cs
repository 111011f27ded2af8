using System.Security.Claims;
using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// Who may use the console: a person signed in with one of the hub's accounts, acting in its own tenant and nothing
/// outside it, with its role (<see cref="HubRoles"/>): each page declares the permission it needs with the same
/// <see cref="HubAuthorization"/> policies as the REST API, so the console's actions are the CLI's under the same
/// authorization (a viewer reads the pages and is refused every form).
/// </summary>
public static class ConsoleAccess
{
    public const string Policy = "console";

    private const string TenantClaim = "edgemdm:console-tenant";

    internal static IServiceCollection AddConsolePolicy(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(WebSignInSetup.Scheme)
            .RequireAuthenticatedUser()
            .RequireRole(HubRoles.All)
            .RequireClaim(TenantClaim));
        return services;
    }

    /// <summary>The session's account as sessions and logs name it: <c>tenant:user</c>.</summary>
    public static string AccountOf(string tenant, string user) => SignInAccounts.Key(tenant, user);

    /// <summary>A principal for a person of <paramref name="tenant"/> signing in now.</summary>
    internal static ClaimsPrincipal Principal(string tenant, string user, AccountCredential account, DateTimeOffset now)
    {
        var principal = WebSignInSetup.Principal(AccountOf(tenant, user), user, account.Grant.Role, VersionOf(account.PasswordHash), now);
        var identity = (ClaimsIdentity)principal.Identity!;
        identity.AddClaim(new Claim(TenantClaim, tenant));
        identity.AddClaims(HubClaims.Of(account.Grant).Where(c => !string.Equals(c.Type, ClaimTypes.Role, StringComparison.Ordinal)));
        return principal;
    }

    /// <summary>Whether the signed-in person may use the page's forms (a viewer reads only): the pages leave them out otherwise.</summary>
    public static bool MayAct(ClaimsPrincipal? user) => HubRoles.Allows(user?.FindFirst(ClaimTypes.Role)?.Value, HubAction.Operate);

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
