using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.SiteUsers;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Custody;

/// <summary>
/// The appliance's first endpoints for people rather than devices (until the supervisor page brings its sign-in): HTTP
/// Basic with a site user's name and password, checked against the users the hub sent down (<see cref="ISiteUserDirectory"/>),
/// so it works with the uplink down. Policy <see cref="Policy"/>: a supervisor or an operator. A device's bearer secret
/// and an anonymous call are refused with 401 and a problem body; nothing else is accepted.
/// </summary>
internal static class SiteUserAuthentication
{
    public const string Scheme = "SiteUser";

    /// <summary>A site user with the supervisor or operator role.</summary>
    public const string Policy = "SiteOperator";

    private const string Realm = "edgemdm-site";

    public static IServiceCollection AddSiteUserAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, "site user (HTTP Basic)", _ => { });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireRole(SiteUserRoles.Supervisor, SiteUserRoles.Operator));
        return services;
    }

    /// <summary>Who a site user's call acts as, in custody events and lifecycle histories.</summary>
    public static string Actor(ClaimsPrincipal user) => "site-user:" + (user.Identity?.Name ?? "?");

    private sealed class Handler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ISiteUserDirectory users)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization.ToString(), out var header)
                || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is not { Length: > 0 and <= 1024 } encoded)
                return Task.FromResult(AuthenticateResult.NoResult());
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException)
            {
                return Task.FromResult(AuthenticateResult.Fail("malformed"));
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || users.VerifySiteUser(decoded[..colon], decoded[(colon + 1)..]) is not { } user)
                return Task.FromResult(AuthenticateResult.Fail("unknown"));
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user.UserName), new Claim(ClaimTypes.Role, user.Role)], SiteUserAuthentication.Scheme);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SiteUserAuthentication.Scheme)));
        }

        protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            var result = await HandleAuthenticateOnceSafeAsync();
            var bearer = Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
            var detail = bearer
                ? "a device credential cannot be used here: sign in as a site user (supervisor or operator) with HTTP Basic"
                : result.None
                    ? "send a site user's name and password (HTTP Basic); site users are managed at the hub"
                    : "unknown site user or wrong password";
            Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\", charset=\"UTF-8\"";
            await ProblemResults.Create(StatusCodes.Status401Unauthorized, "Site user credential required", detail).ExecuteAsync(Context);
        }

        protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
            ProblemResults.Create(StatusCodes.Status403Forbidden, "Not allowed", "this site user's role may not do this").ExecuteAsync(Context);
    }
}
