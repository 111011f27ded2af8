using System.Security.Claims;
using System.Text.Encodings.Web;
using Grpc.Core;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// The site credential on the gRPC sync endpoints, as an ASP.NET Core authentication scheme: every call carries
/// <c>authorization: Bearer &lt;site secret&gt;</c>, the store knows the site by the secret's SHA-256, and the
/// site's id becomes the principal's <see cref="SiteIdClaim"/>. The endpoints declare <see cref="Policy"/>; a
/// call without a known credential is refused by the authorization middleware before its message is read. A call whose
/// credential the store could not look up (it cannot serve right now) is answered as <see cref="StoreFaultAnswers"/>
/// answers any sync call that meets such a fault, instead of escaping the middleware as a 500.
/// </summary>
public static class SiteCredential
{
    public const string Scheme = "SiteCredential";

    /// <summary>The policy every gRPC endpoint of the hub declares (<see cref="SyncServices.MapSiteSync"/>).</summary>
    public const string Policy = "Site";

    public const string SiteIdClaim = "edgemdm:site-id";

    /// <summary>The authenticated site of a call on an endpoint that requires <see cref="Policy"/>.</summary>
    public static string SiteOf(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetHttpContext().User.FindFirstValue(SiteIdClaim)
            ?? throw new InvalidOperationException($"the call was not authenticated: does its endpoint require the '{Policy}' policy?");
    }

    public static AuthenticationBuilder AddSiteCredential(this AuthenticationBuilder authentication) =>
        authentication.AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, displayName: "site credential", configureOptions: null);

    internal static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    private sealed class Handler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggers, UrlEncoder encoder, ISiteRegistry sites, StoreFaultAnswers storeFaults)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
    {
        private const string Missing = "no bearer credential";
        private const string Unknown = "unknown credential";

        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            // Only a gRPC call presents a site credential. With this the hub's only scheme, ASP.NET Core makes it the
            // default and runs it for REST requests too, whose bearer is an API token: never look that up as a site.
            if (!IsGrpc(Request))
                return AuthenticateResult.NoResult();
            if (BearerCredential.From(Request) is not { } secret)
                return AuthenticateResult.Fail(Missing);
            string? site;
            try
            {
                site = await sites.AuthenticateSiteAsync(secret, Context.RequestAborted);
            }
            catch (Exception exception) when (StoreFaults.Of(exception) is not null)
            {
                // The store could not say whose credential this is: no wrong credential, the challenge says "retry later".
                return AuthenticateResult.Fail(exception);
            }

            if (site is null)
                return AuthenticateResult.Fail(Unknown);
            var identity = new ClaimsIdentity([new Claim(SiteIdClaim, site)], Scheme.Name);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
        }

        /// <summary>
        /// UNAUTHENTICATED as a gRPC trailers-only answer (<see cref="GrpcAnswers.TrailersOnly"/>) with a message
        /// saying what is wrong. The framework's plain HTTP 401 also reaches a gRPC client as UNAUTHENTICATED, but only
        /// with "Bad gRPC response. HTTP status code: 401". A lookup the store could not make is answered as any sync call
        /// meeting that fault is (<see cref="StoreFaultAnswers.Refusal"/>), trailers-only.
        /// </summary>
        protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            // A REST request reaches here only while this is the hub's sole (so default) scheme and a policy without a
            // scheme refuses it: a plain 401, and nothing about sync in the log.
            if (!IsGrpc(Request))
            {
                await base.HandleChallengeAsync(properties);
                return;
            }

            var result = await HandleAuthenticateOnceSafeAsync();
            if (result.Failure is { } failure && StoreFaults.Of(failure) is { } fault)
            {
                GrpcAnswers.TrailersOnly(Response, storeFaults.Refusal(fault, Context.Connection.RemoteIpAddress?.ToString() ?? "unknown"));
                return;
            }

            var missing = result.Failure is null || string.Equals(result.Failure.Message, Missing, StringComparison.Ordinal);
            SyncLog.SiteUnauthenticated(Logger, Request.Path, Context.Connection.RemoteIpAddress?.ToString() ?? "unknown", missing ? Missing : Unknown);

            GrpcAnswers.TrailersOnly(Response, StatusCode.Unauthenticated, missing
                ? "the call needs 'authorization: Bearer <site credential>'"
                : "the site credential is not known to this hub");
        }
    }
}
