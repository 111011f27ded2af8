using System.Net;
using EdgeMdm.Cloud.Audit;
using EdgeMdm.Cloud.WebConsole.Pages;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults;
using EdgeMdm.ServiceDefaults.WebPages;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>The form a person sends to sign in to the console (field names as the page's inputs).</summary>
internal sealed class ConsoleSignInForm
{
    public string? Tenant { get; set; }

    public string? UserName { get; set; }

    public string? Password { get; set; }

    public string? ReturnUrl { get; set; }
}

/// <summary>Signing in to and out of the console with a hub account, under the same session rules as the supervisor page.</summary>
internal static partial class ConsoleSignIn
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("").AddEndpointFilter<PageHeaders>();
        pages.MapGet(WebSignInSetup.SignInPath, (string? returnUrl, string? ended, HttpContext http) =>
                Page(http, StatusCodes.Status200OK, null, null, null, returnUrl, ended is not null ? "Your session ended: sign in again." : null))
            .AllowAnonymous();
        pages.MapPost(WebSignInSetup.SignInPath, SignInAsync)
            .AllowAnonymous()
            .AddEndpointFilter<SameOrigin>()
            .RequireRateLimiting(WebSignInSetup.SignInAddressPolicy);
        pages.MapPost("/signout", SignOutAsync).RequireAuthorization(ConsoleAccess.Policy, HubAuthorization.Read).NarrowsToSiteScope().AddEndpointFilter<SameOrigin>();
    }

    private static async Task<IResult> SignInAsync(
        [FromForm] ConsoleSignInForm form, HttpContext http, IAccountStore accounts, TimeProvider clock, IHubAudit audit, ILogger<ConsoleSignInForm> log)
    {
        var tenant = string.IsNullOrWhiteSpace(form.Tenant) ? TenantIds.Default : form.Tenant.Trim();
        var name = (form.UserName ?? "").Trim();
        var password = form.Password ?? "";
        if (tenant.Length > 100 || name.Length is 0 or > UserNames.MaxLength || password.Length is 0 or > PasswordHash.MaxPasswordLength)
            return Page(http, StatusCodes.Status400BadRequest, "Give your user name and password (and your tenant, unless it is the default one).", Shown(tenant, 100), Shown(name, UserNames.MaxLength), form.ReturnUrl);

        var account = ConsoleAccess.AccountOf(tenant, name);
        // The hash is read here, on the request; only the PBKDF2 check runs off its thread.
        var stored = await accounts.AccountCredentialAsync(tenant, name, http.RequestAborted);
        var outcome = await SignInFlow.SignInAsync(http, account, () =>
            PasswordHash.VerifyFound(password, stored?.PasswordHash) && stored is not null ? ConsoleAccess.Principal(tenant, name, stored, clock.GetUtcNow()) : null);
        if (outcome.LockedUntil is { } locked)
        {
            LogLocked(log, account, locked);
            await audit.RecordAsync(tenant, new AuditEntry(name, AuditActions.SignInFailed, name, RateLimits.RemoteAddress(http), $"console: locked until {locked:O}"), CancellationToken.None);
            return Page(http, StatusCodes.Status429TooManyRequests, $"Too many wrong passwords: this account is locked. Try again in {SignInFlow.MinutesUntil(locked, clock)} min.", tenant, name, form.ReturnUrl);
        }

        if (outcome.SignedIn is null)
        {
            LogRefused(log, account);
            await audit.RecordAsync(tenant, new AuditEntry(name, AuditActions.SignInFailed, name, RateLimits.RemoteAddress(http), "console: wrong user name or password"), CancellationToken.None);
            return Page(http, StatusCodes.Status401Unauthorized, "Wrong tenant, user name or password.", tenant, name, form.ReturnUrl);
        }

        LogSignedIn(log, account);
        await audit.RecordAsync(tenant, new AuditEntry("console:" + account, AuditActions.SignIn, name, RateLimits.RemoteAddress(http), "console"), CancellationToken.None);
        return Results.Redirect(SignInFlow.LocalOnly(form.ReturnUrl));
    }

    private static async Task<IResult> SignOutAsync(HttpContext http, ILogger<ConsoleSignInForm> log)
    {
        var actor = ConsoleAccess.Actor(http.User);
        LogSignedOut(log, actor);
        await http.SignOutAsync(WebSignInSetup.Scheme);
        return Results.Redirect(WebSignInSetup.SignInPath);
    }

    private static string? Shown(string value, int max) => value.Length <= max ? value : null;

    private static RazorComponentResult<ConsoleSignInPage> Page(
        HttpContext http, int status, string? message, string? tenant, string? userName, string? returnUrl, string? notice = null) =>
        new(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Message"] = message,
            ["Notice"] = notice,
            ["Tenant"] = string.Equals(tenant, TenantIds.Default, StringComparison.Ordinal) ? null : tenant,
            ["UserName"] = userName,
            ["ReturnUrl"] = SignInFlow.LocalOnly(returnUrl),
            ["InsecureTransport"] = !http.Request.IsHttps && !IsLoopback(http),
        })
        { StatusCode = status };

    /// <summary>Browsers treat a loopback address as secure: the Secure session cookie works there over plain http.</summary>
    private static bool IsLoopback(HttpContext http) =>
        string.Equals(http.Request.Host.Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(http.Request.Host.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    [LoggerMessage(EventId = 2300, Level = LogLevel.Information, Message = "Console: {Account} signed in")]
    private static partial void LogSignedIn(ILogger log, string account);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Console: {Actor} signed out")]
    private static partial void LogSignedOut(ILogger log, string actor);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "Console: wrong password for {Account}")]
    private static partial void LogRefused(ILogger log, string account);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, Message = "Console: {Account} is locked until {Until} after too many wrong passwords")]
    private static partial void LogLocked(ILogger log, string account, DateTimeOffset until);
}
