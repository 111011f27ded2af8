using System.Security.Claims;
using System.Text.Encodings.Web;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Edge.Web;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Devices;

/// <summary>
/// The device credential on the device API: <c>Authorization: Bearer &lt;deviceSecret&gt;</c> as issued at enrollment.
/// The store keeps only the secret's SHA-256, so that is all the principal carries. A device that is retired still
/// authenticates (who it is is known); what it may still do is each feature's decision (a retired device is refused
/// with 403 and the reason).
/// </summary>
public static class DeviceAuthentication
{
    public const string Scheme = "DeviceSecret";

    /// <summary>The policy every device endpoint declares.</summary>
    public const string Policy = "Device";

    private const string SecretHashClaim = "edgemdm:device-secret-sha256";
    private const string DeviceIdClaim = "edgemdm:device-id";

    /// <summary>The SHA-256 of the bearer secret the caller authenticated with (only on an endpoint with <see cref="Policy"/>).</summary>
    public static string SecretHash(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.FindFirstValue(SecretHashClaim) ?? throw new InvalidOperationException("the endpoint does not require the device policy");
    }

    /// <summary>
    /// Adds the scheme as the appliance's default: authentication runs before the rate limiter, which partitions
    /// check-ins by the device the request authenticated as.
    /// </summary>
    public static AuthenticationBuilder AddDeviceSecret(this AuthenticationBuilder authentication)
    {
        ArgumentNullException.ThrowIfNull(authentication);
        authentication.Services.Configure<AuthenticationOptions>(options => options.DefaultScheme ??= Scheme);
        return authentication.AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, displayName: "device secret", configureOptions: null);
    }

    private sealed class Handler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, KnownSecrets secrets)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            // No credential is no result, not a failure: enrollment and the probes are called without one, and only an
            // endpoint that requires the device policy turns it into a 401.
            if (BearerCredential.From(Request) is not { } secret)
                return Task.FromResult(AuthenticateResult.NoResult());
            var hash = CanonicalHash.Sha256Hex(secret);
            if (secrets.DeviceOf(hash) is not { } deviceId)
                return Task.FromResult(AuthenticateResult.Fail("unknown"));
            var identity = new ClaimsIdentity([new Claim(SecretHashClaim, hash), new Claim(DeviceIdClaim, deviceId)], Scheme.Name);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
        }

        /// <summary>401 with the problem body devices read and the challenge RFC 9110 requires beside it.</summary>
        protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            var result = await HandleAuthenticateOnceSafeAsync();
            var problem = result.None
                ? Problems.Unauthorized("Device credential required", "send 'Authorization: Bearer <deviceSecret>' as issued at enrollment")
                : Problems.Unauthorized("Unknown device credential", "the bearer secret matches no enrolled device; enroll again");
            await problem.ExecuteAsync(Context);
        }
    }
}
