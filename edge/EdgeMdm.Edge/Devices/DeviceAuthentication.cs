using System.Collections.Concurrent;
using System.Security.Claims;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Edge.Web;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        authentication.Services.TryAddTransient<Handler>();
        authentication.Services.TryAddSingleton<Principals>();
        authentication.Services.Configure<AuthenticationOptions>(options =>
        {
            options.AddScheme<Handler>(Scheme, displayName: "device secret");
            options.DefaultScheme ??= Scheme;
        });
        return authentication;
    }

    /// <summary>
    /// The framework's handler contract, without <see cref="AuthenticationHandler{TOptions}"/>: that base class takes a
    /// logger from the factory (a lock), its options and several async frames on every request, for events and
    /// forwarding this scheme has none of. It was the largest part of the garbage the device API added per check-in.
    /// </summary>
    private sealed class Handler(KnownSecrets secrets, Principals principals) : IAuthenticationHandler
    {
        private static readonly Task<AuthenticateResult> NoCredential = Task.FromResult(AuthenticateResult.NoResult());
        private static readonly Task<AuthenticateResult> UnknownCredential = Task.FromResult(AuthenticateResult.Fail("unknown"));

        private HttpContext? _context;
        private Task<AuthenticateResult>? _result;

        public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
        {
            _context = context;
            return Task.CompletedTask;
        }

        public Task<AuthenticateResult> AuthenticateAsync() => _result ??= Authenticate(Context.Request);

        /// <summary>401 with the problem body devices read and the challenge RFC 9110 requires beside it.</summary>
        public async Task ChallengeAsync(AuthenticationProperties? properties)
        {
            var result = await AuthenticateAsync();
            var problem = result.None
                ? Problems.Unauthorized("Device credential required", "send 'Authorization: Bearer <deviceSecret>' as issued at enrollment")
                : Problems.Unauthorized("Unknown device credential", "the bearer secret matches no enrolled device; enroll again");
            await problem.ExecuteAsync(Context);
        }

        public Task ForbidAsync(AuthenticationProperties? properties)
        {
            Context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }

        private HttpContext Context => _context ?? throw new InvalidOperationException("the handler was not initialized");

        private Task<AuthenticateResult> Authenticate(HttpRequest request)
        {
            // No credential is no result, not a failure: enrollment and the probes are called without one, and only an
            // endpoint that requires the device policy turns it into a 401.
            if (BearerCredential.From(request) is not { } secret)
                return NoCredential;
            var hash = CanonicalHash.Sha256Hex(secret);
            if (secrets.DeviceOf(hash) is not { } deviceId)
                return UnknownCredential;
            return principals.For(deviceId, hash);
        }
    }

    /// <summary>
    /// One authenticated result per device, built on its first request and handed to every later one while the device
    /// keeps the same secret: a device checks in every 30 s for months, and building the principal, ticket and result
    /// each time was garbage the writer's collections paid for. Nothing mutates a principal once authenticated.
    /// Whether the secret is still the device's is <see cref="KnownSecrets"/>'s answer on every request, never this.
    /// </summary>
    private sealed class Principals
    {
        // As KnownSecrets: well above any site's fleet; past it, the rest are built each time.
        private const int MaxEntries = 50_000;

        private readonly ConcurrentDictionary<string, Authenticated> _byDevice = new(StringComparer.Ordinal);

        public Task<AuthenticateResult> For(string deviceId, string secretHash)
        {
            if (_byDevice.TryGetValue(deviceId, out var known) && string.Equals(known.SecretHash, secretHash, StringComparison.Ordinal))
                return known.Result;
            var identity = new ClaimsIdentity([new Claim(SecretHashClaim, secretHash), new Claim(DeviceIdClaim, deviceId)], Scheme);
            var result = Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme)));
            if (_byDevice.Count < MaxEntries || _byDevice.ContainsKey(deviceId))
                _byDevice[deviceId] = new Authenticated(secretHash, result);
            return result;
        }

        private sealed record Authenticated(string SecretHash, Task<AuthenticateResult> Result);
    }
}
