using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// Central IT's credential on the REST API: <c>Authorization: Bearer &lt;api token&gt;</c>, a token from
/// <c>edgemdm-cloud admin-token create</c> or <c>POST /api/v1/login</c>, looked up through <see cref="IAdminTokens"/>.
/// The principal carries who the token speaks for (<see cref="ApiCaller"/>): its tenant, its name, its account.
/// </summary>
public static class ApiTokenAuthentication
{
    public const string Scheme = "ApiToken";

    /// <summary>
    /// The policy of every <c>/api/v1</c> endpoint but <c>POST /login</c>: a caller the <see cref="Scheme"/> scheme
    /// authenticated, of a tenant, acting inside it and nothing outside it. What it may do there its role says: each
    /// endpoint also declares one of <see cref="HubAuthorization"/>'s policies.
    /// </summary>
    public const string CentralItPolicy = "CentralIt";

    private const string TenantClaim = "edgemdm:tenant";
    private const string AccountClaim = "edgemdm:account";
    private const string ExpiresClaim = "edgemdm:expires";

    /// <summary>The title of the 401 for an expired token, distinct from an unknown one so a client can tell the user to sign in again.</summary>
    public const string ExpiredTitle = "API token expired";

    private const string UnknownToken = "unknown API token";

    // Our tokens are 64 hex digits; anything much longer is not one, and is not worth hashing.
    private const int MaxTokenLength = 256;

    /// <summary>Who the caller is, on an endpoint with <see cref="CentralItPolicy"/>.</summary>
    public static ApiCaller CallerOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var tenant = user.FindFirstValue(TenantClaim) ?? throw new InvalidOperationException($"the endpoint does not require the {CentralItPolicy} policy");
        var grant = HubClaims.GrantOf(user);
        return new ApiCaller(tenant, user.Identity?.Name ?? "", user.FindFirstValue(AccountClaim))
        {
            Role = grant.Role,
            Sites = grant.Sites,
            ExpiresAt = long.TryParse(user.FindFirstValue(ExpiresClaim), CultureInfo.InvariantCulture, out var expires) ? DateTimeOffset.FromUnixTimeMilliseconds(expires) : null,
        };
    }

    public static IServiceCollection AddApiTokenAuthentication(this IServiceCollection services)
    {
        // A scheme runs only for an endpoint whose policy names it. Without this switch the only scheme registered
        // becomes the default one, run on every request: a sync call's site credential would be looked up among the
        // API tokens. (Process-wide, and read when the scheme provider is built.)
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, displayName: "API token", configureOptions: null);
        services.AddAuthorizationBuilder().AddPolicy(CentralItPolicy, policy => policy
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(TenantClaim));
        return services.AddHubAuthorization();
    }

    private static string ExpiredDetail(DateTimeOffset expiredAt) =>
        $"the API token expired at {expiredAt.ToString("u", CultureInfo.InvariantCulture)}: sign in again with 'edgemdm login' (or ask for a new 'admin-token create')";

    private sealed class Handler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IAdminTokens tokens, TimeProvider time)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (BearerCredential.From(Request) is not { } token)
                return AuthenticateResult.NoResult();
            if (token.Length > MaxTokenLength || await tokens.AuthenticateApiTokenAsync(token, Context.RequestAborted) is not { } caller)
                return AuthenticateResult.Fail(UnknownToken);
            if (caller.IsExpiredAt(time.GetUtcNow()))
                return AuthenticateResult.Fail(ExpiredDetail(caller.ExpiresAt!.Value), new AuthenticationProperties(new Dictionary<string, string?>(StringComparer.Ordinal) { [ExpiredTitle] = "" }));

            List<Claim> claims = [new(TenantClaim, caller.TenantId), new(ClaimTypes.Name, caller.Name), .. HubClaims.Of(new HubGrant(caller.Role, caller.Sites))];
            if (caller.Account is not null)
                claims.Add(new Claim(AccountClaim, caller.Account));
            if (caller.ExpiresAt is { } expiresAt)
                claims.Add(new Claim(ExpiresClaim, expiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
            var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
            return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
        }

        /// <summary>401 with the problem body the CLI reads and the challenge RFC 9110 requires beside it; one warning.</summary>
        protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            var result = await HandleAuthenticateOnceSafeAsync();
            var missing = result.None;
            var expired = result.Properties?.Items.ContainsKey(ExpiredTitle) == true;
            ApiLog.ApiUnauthenticated(Logger, Request.Method, Request.Path, missing ? "no bearer token" : expired ? "expired API token" : UnknownToken);
            if (expired)
            {
                await ProblemResults.Unauthorized("edgemdm-cloud", ExpiredTitle, result.Failure!.Message).ExecuteAsync(Context);
                return;
            }

            await Problems.Unauthorized(missing
                ? "the call needs 'Authorization: Bearer <api token>' (create one with 'edgemdm-cloud admin-token create')"
                : "the API token is not known to this hub (sign in again with 'edgemdm login')").ExecuteAsync(Context);
        }
    }
}

