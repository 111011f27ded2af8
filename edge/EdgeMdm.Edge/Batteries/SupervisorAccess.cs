using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.SiteUsers;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Batteries;

/// <summary>
/// Who may read the floor's reports over HTTP (<c>/api/v1/readiness</c>, <c>/missing</c>, <c>/batteries</c>): a site user
/// (supervisor or operator, as the hub sent them down) with HTTP Basic credentials over the site's TLS, checked against
/// the stored password hash, so it works with the uplink down. Devices and anonymous callers are refused with problem
/// details (401 and a Basic challenge). The appliance had no operator sign-in on HTTP before this; when the supervisor
/// page brings one (a cookie session), these endpoints should take its policy instead.
/// </summary>
internal static class SupervisorAccess
{
    public const string Scheme = "SiteUserBasic";
    public const string Policy = "SiteUser";

    public static IServiceCollection AddSupervisorAccess(this IServiceCollection services)
    {
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, "site user (HTTP Basic)", _ => { });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(Scheme).RequireRole(SiteUserRoles.All));
        return services;
    }

    private sealed class Handler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ISiteUserDirectory users)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
                || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
                return Task.FromResult(AuthenticateResult.NoResult());
            string text;
            try
            {
                text = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            }
            catch (FormatException)
            {
                return Task.FromResult(AuthenticateResult.Fail("malformed Basic credentials"));
            }

            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || users.VerifySiteUser(text[..colon], text[(colon + 1)..]) is not { } user)
                return Task.FromResult(AuthenticateResult.Fail("unknown site user or wrong password"));
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user.UserName), new Claim(ClaimTypes.Role, user.Role)], SupervisorAccess.Scheme);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SupervisorAccess.Scheme)));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            Response.Headers.WWWAuthenticate = "Basic realm=\"edgemdm-site\", charset=\"UTF-8\"";
            return ProblemResults.Create(
                StatusCodes.Status401Unauthorized, "Site user credentials required",
                "sign in as a site supervisor or operator (HTTP Basic); device credentials are not accepted here").ExecuteAsync(Context);
        }

        protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
            ProblemResults.Create(StatusCodes.Status403Forbidden, "Not a supervisor or operator", "only site supervisors and operators may read the floor's reports").ExecuteAsync(Context);
    }
}
