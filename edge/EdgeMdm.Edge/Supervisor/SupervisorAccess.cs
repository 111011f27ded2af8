using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Authorization;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>
/// Who may do what on the supervisor page: every signed-in role looks; supervisors and technicians act on the floor;
/// only a supervisor wipes or retires. The server decides, whatever the page shows (a viewer's hand-made form is refused).
/// </summary>
public static class SupervisorAccess
{
    public const string View = "supervisor-page:view";
    public const string Act = "supervisor-page:act";
    public const string Destroy = "supervisor-page:destroy";

    internal static IServiceCollection AddSupervisorPolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(View, policy => policy.AddAuthenticationSchemes(WebSignInSetup.Scheme).RequireAuthenticatedUser().RequireRole(SiteUserRoles.Known))
            .AddPolicy(Act, policy => policy.AddAuthenticationSchemes(WebSignInSetup.Scheme).RequireAuthenticatedUser().RequireRole(SiteUserRoles.Acting))
            .AddPolicy(Destroy, policy => policy.AddAuthenticationSchemes(WebSignInSetup.Scheme).RequireAuthenticatedUser().RequireRole(SiteUserRoles.Supervisor));
        return services;
    }

    /// <summary>Who acted, for histories and logs: the session's account (<c>site-user:sam</c>, <c>local:breakglass</c>).</summary>
    public static string Actor(System.Security.Claims.ClaimsPrincipal user) =>
        user?.FindFirst(WebSignInClaims.Account)?.Value ?? "unknown";
}
