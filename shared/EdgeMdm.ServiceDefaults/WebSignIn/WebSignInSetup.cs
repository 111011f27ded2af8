using System.Globalization;
using System.Security.Claims;
using EdgeMdm.Domain.Security;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>
/// A server's web pages for people, on ASP.NET Core's cookie authentication and anti-forgery (ASVS 5.0 §3.3, §3.5,
/// §7.2–7.4): a <c>__Host-</c> session cookie (HttpOnly, SameSite=Strict, Secure) holding only a key to a server-side
/// session (<see cref="SessionTicketStore"/>), idle and absolute timeouts, revalidation of the user on every request
/// (<see cref="IWebUserCheck"/>), a lockout, a limit per address on sign-in attempts, and forms that need an
/// anti-forgery token and a same-origin request (<see cref="SameOrigin"/>).
/// </summary>
public static class WebSignInSetup
{
    public const string Scheme = "WebSession";
    public const string CookieName = "__Host-edgemdm-session";
    public const string AntiforgeryCookieName = "__Host-edgemdm-csrf";
    public const string AntiforgeryField = "__csrf";
    public const string SignInPath = "/signin";

    /// <summary>Sent by a page's own live updates: they neither renew the session nor get redirected to sign in.</summary>
    public const string LiveHeader = "X-EdgeMdm-Live";

    /// <summary>The rate limiter policy of the sign-in form: attempts per client address, right or wrong.</summary>
    public const string SignInAddressPolicy = "web-sign-in-address";

    /// <summary>
    /// A session is renewed (its idle clock restarted) at most this often, to keep writes rare; under a short idle
    /// timeout, at most every quarter of it (<see cref="RenewAfter"/>), so a person active within it stays signed in.
    /// </summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(30);

    /// <summary>The query parameter the sign-in page is sent with when the browser's session ended (timed out or ended by the server).</summary>
    public const string EndedParameter = "ended";

    /// <summary>
    /// Registers the cookie scheme, the session store over <typeparamref name="TStore"/>, the user check
    /// <typeparamref name="TCheck"/>, anti-forgery and the sign-in limits; <paramref name="section"/> names the options'
    /// configuration section (<c>Edge:Web</c>), bound and validated at start.
    /// </summary>
    public static IServiceCollection AddWebSignIn<TStore, TCheck>(this IServiceCollection services, string section)
        where TStore : class, IWebSessionStore
        where TCheck : class, IWebUserCheck
    {
        services.AddOptions<WebSessionOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebSessionOptions>>(new SectionValidation(section));
        services.AddSingleton<IWebSessionStore, TStore>();
        services.AddSingleton<IWebUserCheck, TCheck>();
        services.AddSingleton<SessionTicketStore>();
        services.AddSingleton<SignInAttempts>();
        services.AddAuthentication().AddCookie(Scheme);
        services.AddOptions<CookieAuthenticationOptions>(Scheme)
            .Configure<IOptions<WebSessionOptions>, SessionTicketStore, TimeProvider>((cookie, web, store, clock) => Configure(cookie, web.Value, store, clock));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie = new AlwaysSecureCookie
            {
                Name = AntiforgeryCookieName,
                SameSite = SameSiteMode.Strict,
                HttpOnly = true,
                Path = "/",
                IsEssential = true,
            };
            antiforgery.FormFieldName = AntiforgeryField;
        });
        services.AddRateLimiter(limiter => limiter.AddPolicy(SignInAddressPolicy, http => RateLimits.PerSecond(RateLimits.RemoteAddress(http), 1, burstSeconds: 20)));
        return services;
    }

    /// <summary>A principal for <paramref name="account"/> signing in now.</summary>
    public static ClaimsPrincipal Principal(string account, string displayName, string role, string credentialVersion, DateTimeOffset now)
    {
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, displayName),
                new Claim(ClaimTypes.Role, role),
                new Claim(WebSignInClaims.Account, account),
                new Claim(WebSignInClaims.SignedInAt, now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
                new Claim(WebSignInClaims.CredentialVersion, credentialVersion),
            ],
            Scheme);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>
    /// Ends the session whose cookie came with this request, if any (another person's on a shared PC, or this one's),
    /// before a sign-in: the new session then gets a key of its own. (Authenticating first would make the cookie
    /// handler keep the old key for the new session.)
    /// </summary>
    public static async Task EndPresentedSessionAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var cookie = http.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(Scheme);
        if (cookie.CookieManager.GetRequestCookie(http, CookieName) is not { Length: > 0 } presented)
            return;
        var key = cookie.TicketDataFormat.Unprotect(presented)?.Principal.FindFirst(SessionIdClaim)?.Value;
        if (key is not null)
            await http.RequestServices.GetRequiredService<SessionTicketStore>().RemoveAsync(key, http.RequestAborted);
    }

    /// <summary>Where the cookie handler keeps the session store's key in the cookie's own ticket.</summary>
    private const string SessionIdClaim = "Microsoft.AspNetCore.Authentication.Cookies-SessionId";

    /// <summary>True for a request a page's script made for its live updates.</summary>
    public static bool IsLive(HttpRequest request) => request?.Headers.ContainsKey(LiveHeader) == true;

    private static void Configure(CookieAuthenticationOptions cookie, WebSessionOptions web, SessionTicketStore store, TimeProvider clock)
    {
        cookie.TimeProvider = clock;
        cookie.SessionStore = store;
        cookie.Cookie.Name = CookieName;
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        cookie.Cookie.SameSite = SameSiteMode.Strict;
        cookie.Cookie.Path = "/";
        cookie.Cookie.IsEssential = true;
        cookie.ExpireTimeSpan = web.IdleTimeout;
        // Renewal is ours (OnValidatePrincipal): only a person's own requests restart the idle clock.
        cookie.SlidingExpiration = false;
        cookie.LoginPath = SignInPath;
        cookie.ReturnUrlParameter = "returnUrl";
        cookie.Events.OnValidatePrincipal = context => ValidateAsync(context, web, clock);
        cookie.Events.OnRedirectToLogin = context =>
        {
            if (IsLive(context.Request) || !AcceptsHtml(context.Request))
                return Problems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "sign in first: the session ended or never began").AsTask();
            // A session cookie came with the request but no longer signs in: the page then says the session ended.
            var ended = context.Request.Cookies.ContainsKey(CookieName);
            context.Response.Redirect(ended
                ? context.RedirectUri + (context.RedirectUri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + EndedParameter + "=1"
                : context.RedirectUri);
            return Task.CompletedTask;
        };
        cookie.Events.OnRedirectToAccessDenied = context =>
            Problems.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, "your role may not do this").AsTask();
    }

    private static async Task ValidateAsync(CookieValidatePrincipalContext context, WebSessionOptions web, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var principal = context.Principal;
        var signedInAt = principal?.FindFirst(WebSignInClaims.SignedInAt)?.Value is { } ms && long.TryParse(ms, CultureInfo.InvariantCulture, out var at)
            ? DateTimeOffset.FromUnixTimeMilliseconds(at)
            : (DateTimeOffset?)null;
        var check = context.HttpContext.RequestServices.GetRequiredService<IWebUserCheck>();
        if (principal is null || signedInAt is null || now - signedInAt.Value > web.AbsoluteTimeout
            || !await check.IsStillValidAsync(principal, context.HttpContext.RequestAborted))
        {
            // The session ends on the server; the browser keeps its dead cookie, so the sign-in page it is sent to next
            // (by this request or by a live page's reload after a 401) can say that the session ended.
            context.RejectPrincipal();
            await EndPresentedSessionAsync(context.HttpContext);
            return;
        }

        if (!IsLive(context.Request) && context.Properties.IssuedUtc is { } issued && now - issued >= RenewAfter(web.IdleTimeout))
            context.ShouldRenew = true;
    }

    /// <summary>How old a session's ticket must be before a person's request renews it: <see cref="RenewEvery"/>, or a quarter of a shorter idle timeout.</summary>
    public static TimeSpan RenewAfter(TimeSpan idleTimeout) => idleTimeout / 4 < RenewEvery ? idleTimeout / 4 : RenewEvery;

    private static bool AcceptsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The anti-forgery cookie, Secure on every answer like the session cookie. Not through
    /// <see cref="CookieSecurePolicy.Always"/>: with it, anti-forgery throws on a plain http request instead of
    /// answering, and a browser keeps Secure cookies from a loopback address over plain http (a hub on 127.0.0.1).
    /// Anywhere else over plain http the browser drops both cookies and the sign-in form says why.
    /// </summary>
    private sealed class AlwaysSecureCookie : CookieBuilder
    {
        public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
        {
            var options = base.Build(context, expiresFrom);
            options.Secure = true;
            return options;
        }
    }

    private sealed class SectionValidation(string section) : IValidateOptions<WebSessionOptions>
    {
        public ValidateOptionsResult Validate(string? name, WebSessionOptions options) => WebSessionOptions.Validate(section, options);
    }
}
