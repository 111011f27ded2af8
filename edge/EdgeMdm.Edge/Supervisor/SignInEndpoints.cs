using System.Globalization;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.SiteUsers;
using EdgeMdm.Edge.Supervisor.Pages;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

using EdgeMdm.ServiceDefaults.WebPages;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>The form a person sends to sign in (field names as the page's inputs).</summary>
internal sealed class SignInForm
{
    public string? UserName { get; set; }

    public string? Password { get; set; }

    public string? ReturnUrl { get; set; }
}

/// <summary>Signing in and out of the supervisor page.</summary>
internal static partial class SignInEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("").AddEndpointFilter<PageHeaders>();
        pages.MapGet(WebSignInSetup.SignInPath, (string? returnUrl, string? ended) =>
                Page(StatusCodes.Status200OK, null, null, returnUrl, ended is not null ? "Your session ended: sign in again." : null))
            .AllowAnonymous();
        pages.MapPost(WebSignInSetup.SignInPath, SignInAsync)
            .AllowAnonymous()
            .AddEndpointFilter<SameOrigin>()
            .RequireRateLimiting(WebSignInSetup.SignInAddressPolicy);
        pages.MapPost("/signout", SignOutAsync).RequireAuthorization(SupervisorAccess.View).AddEndpointFilter<SameOrigin>();
    }

    private static async Task<IResult> SignInAsync(
        [FromForm] SignInForm form, HttpContext http, ISiteUserDirectory users, BreakGlassAdmin admin, TimeProvider clock, IAuditLog audit, ILogger<SignInForm> log)
    {
        var name = (form.UserName ?? "").Trim();
        var password = form.Password ?? "";
        if (name.Length is 0 or > 64 || password.Length is 0 or > PasswordHash.MaxPasswordLength)
            return Page(StatusCodes.Status400BadRequest, "Give your user name and password.", name.Length <= 64 ? name : null, form.ReturnUrl);

        var outcome = await SignInFlow.SignInAsync(http, name, () => Verify(users, admin, name, password, clock.GetUtcNow()));
        if (outcome.LockedUntil is { } locked)
        {
            LogLocked(log, name, locked);
            await audit.RecordAsync(new AuditEntry(name, AuditActions.SignInFailed, name, From(http), $"supervisor page: locked until {locked:O}"), clock.GetUtcNow());
            return Page(StatusCodes.Status429TooManyRequests, $"Too many wrong passwords: this account is locked. Try again in {SignInFlow.MinutesUntil(locked, clock)} min, or ask a supervisor.", name, form.ReturnUrl);
        }

        if (outcome.SignedIn is not { } signedIn)
        {
            LogRefused(log, name);
            await audit.RecordAsync(new AuditEntry(name, AuditActions.SignInFailed, name, From(http), "supervisor page: wrong user name or password"), clock.GetUtcNow());
            return Page(StatusCodes.Status401Unauthorized, "Wrong user name or password.", name, form.ReturnUrl);
        }

        var account = SupervisorAccess.Actor(signedIn);
        LogSignedIn(log, account);
        await audit.RecordAsync(new AuditEntry(account, AuditActions.SignIn, name, From(http), "supervisor page"), clock.GetUtcNow());
        return Results.Redirect(SignInFlow.LocalOnly(form.ReturnUrl));
    }

    /// <summary>Where a sign-in came from, for the trail: the peer's address.</summary>
    private static string From(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "";

    private static async Task<IResult> SignOutAsync(HttpContext http, ILogger<SignInForm> log)
    {
        var account = SupervisorAccess.Actor(http.User);
        LogSignedOut(log, account);
        await http.SignOutAsync(WebSignInSetup.Scheme);
        return Results.Redirect(WebSignInSetup.SignInPath);
    }

    private static System.Security.Claims.ClaimsPrincipal? Verify(ISiteUserDirectory users, BreakGlassAdmin admin, string name, string password, DateTimeOffset now)
    {
        if (string.Equals(name, BreakGlassAdmin.UserName, StringComparison.Ordinal))
        {
            return admin.Verify(name, password) && admin.CreatedAt() is { } created
                ? WebSignInSetup.Principal(BreakGlassAdmin.Account, name, SiteUserRoles.Supervisor, created.ToString(CultureInfo.InvariantCulture), now)
                : null;
        }

        return users.VerifySiteUser(name, password) is { } user && SiteUserRoles.IsKnown(user.Role)
            ? WebSignInSetup.Principal(SupervisorUserCheck.SiteUserPrefix + user.UserName, user.UserName, user.Role, SupervisorUserCheck.VersionOf(user), now)
            : null;
    }

    private static RazorComponentResult<SignInPage> Page(int status, string? message, string? userName, string? returnUrl, string? notice = null) =>
        new(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Message"] = message, ["Notice"] = notice, ["UserName"] = userName, ["ReturnUrl"] = SignInFlow.LocalOnly(returnUrl),
        })
        {
            StatusCode = status,
        };

    [LoggerMessage(EventId = 7601, Level = LogLevel.Information, Message = "Supervisor page: {Account} signed in")]
    private static partial void LogSignedIn(ILogger log, string account);

    [LoggerMessage(EventId = 7602, Level = LogLevel.Information, Message = "Supervisor page: {Account} signed out")]
    private static partial void LogSignedOut(ILogger log, string account);

    [LoggerMessage(EventId = 7603, Level = LogLevel.Warning, Message = "Supervisor page: wrong password for {UserName}")]
    private static partial void LogRefused(ILogger log, string userName);

    [LoggerMessage(EventId = 7604, Level = LogLevel.Warning, Message = "Supervisor page: {UserName} is locked until {Until} after too many wrong passwords")]
    private static partial void LogLocked(ILogger log, string userName, DateTimeOffset until);
}
