using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.SiteUsers;

/// <summary>
/// Site users on the appliance's operator API (<c>Authorization: Basic</c>, over the site's https): the user names
/// and password hashes the hub sent down, so it works offline. Endpoints for people, not devices, declare
/// <see cref="Policy"/>: a device's bearer secret is no site user, and is refused like no credential at all.
/// </summary>
public static class SiteUserAuthentication
{
    public const string Scheme = "SiteUser";

    /// <summary>The policy operator endpoints declare (any site user: supervisor or operator).</summary>
    public const string Policy = "SiteUser";

    public static IServiceCollection AddSiteUserAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, "site user", _ => { });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());
        return services;
    }

    private sealed class Handler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ISiteUserDirectory users)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
                || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is not { Length: <= 1024 } encoded)
                return Task.FromResult(AuthenticateResult.NoResult());
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException)
            {
                return Task.FromResult(AuthenticateResult.Fail("malformed Basic credential"));
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || users.VerifySiteUser(decoded[..colon], decoded[(colon + 1)..]) is not { } user)
                return Task.FromResult(AuthenticateResult.Fail("unknown site user or wrong password"));
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user.UserName), new Claim(ClaimTypes.Role, user.Role)], SiteUserAuthentication.Scheme);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SiteUserAuthentication.Scheme)));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            Response.Headers.WWWAuthenticate = "Basic realm=\"edgemdm\", charset=\"UTF-8\"";
            return Web.Problems.Unauthorized("Site user required", "sign in as a site user (HTTP Basic): a device credential is not accepted here").ExecuteAsync(Context);
        }
    }
}
