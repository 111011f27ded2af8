using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.SiteUsers;

/// <summary>
/// Who may call the appliance's operator API (swaps, spares, cradles, custody, readiness): a site user (as the hub sent them, checked offline) with
/// the role supervisor or technician (or operator, its older name), by <c>Authorization: Basic</c>; or an operator command on the appliance's own machine,
/// by <c>Authorization: Bearer</c> with the token in <c>DATA/operator.token</c> (readable only by the account that runs
/// the appliance, as the database is: who can read it can change the data directory anyway). Devices and anonymous
/// callers get 401, a site user of another role 403, each with a problem body.
/// </summary>
public static class SiteOperatorAuthentication
{
    public const string Scheme = "SiteOperator";

    /// <summary>The policy every floor endpoint declares.</summary>
    public const string Policy = "SiteOperator";

    /// <summary>The name of the local operator token's file in the data directory.</summary>
    public const string TokenFile = "operator.token";

    /// <summary>The actor the local token acts as, when the command does not say which operator ran it.</summary>
    public const string LocalActor = "operator:local";

    /// <summary>With the local token only: the account that ran the operator command, for histories (<c>operator:NAME</c>).</summary>
    public const string OperatorHeader = "X-EdgeMdm-Operator";

    /// <summary>The local operator token of the appliance serving <paramref name="dataDir"/>; null when none was written.</summary>
    public static string? ReadToken(string dataDir)
    {
        var path = Path.Combine(dataDir, TokenFile);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>The token, written with mode 0600 on first use.</summary>
    internal static string EnsureToken(string dataDir)
    {
        if (ReadToken(dataDir) is { Length: > 0 } token)
            return token;
        token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        OwnerOnlyFiles.WriteAllText(Path.Combine(dataDir, TokenFile), token);
        return token;
    }

    /// <summary>Who did it, for histories: the signed-in site user or local operator.</summary>
    public static string Actor(ClaimsPrincipal user) => user?.Identity?.Name ?? LocalActor;

    internal static IServiceCollection AddSiteOperatorAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<LocalToken>();
        services.AddHostedService(sp => sp.GetRequiredService<LocalToken>());
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, "site user or local operator", _ => { });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireRole(SiteUserRoles.Acting));
        return services;
    }

    /// <summary>The local token, written when the appliance starts serving (operator commands only read it).</summary>
    internal sealed class LocalToken(IOptions<EdgeOptions> edge) : IHostedService
    {
        private readonly Lazy<byte[]> _hash = new(() => SHA256.HashData(Encoding.ASCII.GetBytes(EnsureToken(Path.GetFullPath(edge.Value.DataDir)))));

        public bool Matches(string presented) =>
            CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.ASCII.GetBytes(presented)), _hash.Value);

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = _hash.Value;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class Handler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logs, System.Text.Encodings.Web.UrlEncoder encoder,
        ISiteUserDirectory users, LocalToken local)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logs, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (BearerCredential.From(Request) is { } bearer)
                return Task.FromResult(local.Matches(bearer) ? Success(LocalName(Request), SiteUserRoles.Supervisor) : AuthenticateResult.Fail("not the operator token"));
            if (Basic(Request) is not var (name, password))
                return Task.FromResult(AuthenticateResult.NoResult());
            return Task.FromResult(users.VerifySiteUser(name, password) is { } user
                ? Success("site-user:" + user.UserName, user.Role)
                : AuthenticateResult.Fail("unknown user or wrong password"));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            // Only Basic is offered: the local operator token is for the appliance's own commands, not something to ask a person for.
            Response.Headers.WWWAuthenticate = "Basic realm=\"edgemdm-site\", charset=\"UTF-8\"";
            return ProblemResults.Create(StatusCodes.Status401Unauthorized, "Site user required",
                "sign in as a site user with the role supervisor or technician (Authorization: Basic), or run the operator command on the appliance; a device credential is not accepted here").ExecuteAsync(Context);
        }

        protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
            ProblemResults.Create(StatusCodes.Status403Forbidden, "Role not allowed", "only a supervisor or a technician of the site may do this").ExecuteAsync(Context);

        private static AuthenticateResult Success(string name, string role)
        {
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], SiteOperatorAuthentication.Scheme);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SiteOperatorAuthentication.Scheme));
        }

        private static string LocalName(HttpRequest request)
        {
            var account = request.Headers[OperatorHeader].ToString();
            return account.Length is > 0 and <= 64 && account.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') ? "operator:" + account : LocalActor;
        }

        private static (string Name, string Password)? Basic(HttpRequest request)
        {
            const string Prefix = "Basic ";
            var header = request.Headers.Authorization.ToString();
            if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || header.Length > 1024)
                return null;
            try
            {
                var text = Encoding.UTF8.GetString(Convert.FromBase64String(header[Prefix.Length..].Trim()));
                var colon = text.IndexOf(':', StringComparison.Ordinal);
                return colon <= 0 ? null : (text[..colon], text[(colon + 1)..]);
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
