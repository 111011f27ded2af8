using EdgeMdm.Cloud.Audit;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Mvc;

namespace EdgeMdm.Cloud.Accounts;

/// <summary>
/// Central IT's accounts, and signing in with them for an API token. Passwords are hashed here (PBKDF2,
/// <see cref="PasswordHash"/>) before they reach the store; a generated password is answered once and never kept
/// in clear.
/// </summary>
internal static class AccountApi
{
    /// <summary>How long a token from <c>POST /login</c> lasts; then the person signs in again.</summary>
    public static readonly TimeSpan SignInLifetime = TimeSpan.FromDays(30);

    private const string SignInRefused = "unknown user or wrong password";

    public static RouteGroupBuilder MapAccountApi(this RouteGroupBuilder api)
    {
        api.MapPost("/accounts", AddAccountAsync);
        api.MapGet("/accounts", async (HttpContext http, IAccountStore accounts, CancellationToken ct) =>
            TypedResults.Json(
                (await accounts.ListAccountsAsync(HubApi.Tenant(http), ct)).Select(a => new AccountView(a.UserName, a.CreatedAt)).ToList(),
                ApiJson.Default.ListAccountView));
        api.MapDelete("/accounts/{userName}", async (string userName, HttpContext http, IAccountStore accounts, CancellationToken ct) =>
            await accounts.RemoveAccountAsync(HubApi.Tenant(http), userName, ct) ? Results.NoContent() : Problems.NotFound($"no account '{userName}'"));

        return api;
    }

    /// <summary>
    /// POST /api/v1/login, without a token: user, password and tenant (default "default") → a new API token bound to
    /// the account, valid for <see cref="SignInLifetime"/>. An unknown tenant, an unknown user and a wrong password get
    /// the same 401, so the answer never tells which names exist. Too many attempts from the client's address or for
    /// the account get 429 with Retry-After (<see cref="SignInLimits"/>), even with the right password.
    /// </summary>
    public static IEndpointRouteBuilder MapLogin(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/login", LoginAsync)
            .AllowAnonymous()
            .RequireRateLimiting(SignInLimits.AddressPolicy)
            .WithMetadata(new RequestSizeLimitAttribute(SignInLimits.MaxBodyBytes));
        return routes;
    }

    private static async Task<IResult> LoginAsync(
        HttpRequest request, IAccountStore accounts, SignInLimits limits, HubMetrics metrics, TimeProvider time, ILoggerFactory loggers, IHubAudit audit, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, ApiJson.Default.LoginRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        v.RequiredText("user", body!.User, UserNames.MaxLength);
        v.RequiredText("password", body.Password, PasswordHash.MaxPasswordLength);
        if (body.Tenant is not null)
            v.RequiredText("tenant", body.Tenant, 100);
        if (!v.Valid)
            return v.Problem();

        var tenant = body.Tenant ?? TenantIds.Default;
        var logger = loggers.CreateLogger(typeof(AccountApi).FullName!);
        if (!await limits.TryAttemptAsync(request.HttpContext, tenant, body.User!))
        {
            metrics.SignInLimited();
            AccountLog.SignInLimited(logger, tenant, body.User!, RateLimits.RemoteAddress(request.HttpContext));
            return Results.Empty; // the rate limiter's rejection is written
        }

        var stored = await accounts.AccountPasswordHashAsync(tenant, body.User!, ct);
        var verified = PasswordHash.VerifyFound(body.Password!, stored);
        var expiresAt = time.GetUtcNow() + SignInLifetime;
        string? token = null;
        if (verified)
        {
            try
            {
                token = await accounts.IssueAccountTokenAsync(tenant, body.User!, expiresAt, ct);
            }
            catch (StoreConflictException)
            {
                // The account was removed between the check and the token: as if it never existed.
            }
        }

        if (token is null)
        {
            metrics.SignInRefused();
            AccountLog.SignInRefused(logger, tenant, body.User!);
            await audit.RecordAsync(tenant, new AuditEntry(body.User!, AuditActions.SignInFailed, body.User!, RateLimits.RemoteAddress(request.HttpContext), "api login"), CancellationToken.None);
            return Problems.Unauthorized(SignInRefused);
        }

        metrics.SignedIn();
        await audit.RecordAsync(tenant, new AuditEntry("account:" + body.User!, AuditActions.SignIn, body.User!, RateLimits.RemoteAddress(request.HttpContext), $"api login, token until {expiresAt:O}"), CancellationToken.None);
        return TypedResults.Json(new SignedIn(token, tenant, body.User!, expiresAt), ApiJson.Default.SignedIn, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> AddAccountAsync(HttpContext http, IAccountStore accounts, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.AddAccountRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        v.UserName("userName", body!.UserName);
        v.Password(body.Password);
        if (!v.Valid)
            return v.Problem();

        var generated = body.Password is null ? GeneratedPassword.New() : null;
        try
        {
            await accounts.AddAccountAsync(HubApi.Tenant(http), body.UserName!, PasswordHash.Create(body.Password ?? generated!), ct);
        }
        catch (StoreConflictException exception)
        {
            return Problems.Conflict(exception.Message);
        }

        return TypedResults.Json(new AccountAdded(body.UserName!, generated), ApiJson.Default.AccountAdded, statusCode: StatusCodes.Status201Created);
    }
}

/// <summary>POST /login: <c>Tenant</c> null means the default tenant.</summary>
public sealed record LoginRequest(string? User, string? Password, string? Tenant);

public sealed record SignedIn(string Token, string Tenant, string User, DateTimeOffset ExpiresAt);

/// <summary>A new account; <c>Password</c> null asks the hub to generate one.</summary>
public sealed record AddAccountRequest(string? UserName, string? Password);

/// <summary>Answer to a new account: <c>Password</c> is the generated one (shown this once), null when the caller gave it.</summary>
public sealed record AccountAdded(string UserName, string? Password);

public sealed record AccountView(string UserName, DateTimeOffset CreatedAt);
