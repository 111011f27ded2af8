using EdgeMdm.Cloud.Audit;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults;
using EdgeMdm.ServiceDefaults.WebSignIn;
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
        api.MapPost("/accounts", AddAccountAsync).RequireAuthorization(HubAuthorization.Administer);
        api.MapGet("/accounts", async (HttpContext http, IAccountStore accounts, CancellationToken ct) =>
            TypedResults.Json(
                (await accounts.ListAccountsAsync(HubApi.Tenant(http), ct)).Select(a => new AccountView(a.UserName, a.CreatedAt, a.Grant.Role, a.Grant.Sites)).ToList(),
                ApiJson.Default.ListAccountView)).RequireAuthorization(HubAuthorization.Administer);
        api.MapPatch("/accounts/{userName}", SetGrantAsync).RequireAuthorization(HubAuthorization.Administer);
        api.MapDelete("/accounts/{userName}", async (string userName, HttpContext http, IAccountStore accounts, CancellationToken ct) =>
            await accounts.RemoveAccountAsync(HubApi.Tenant(http), userName, ct) ? Results.NoContent() : Problems.NotFound($"no account '{userName}'"))
            .RequireAuthorization(HubAuthorization.Administer);

        // Any caller may ask who it is: the answer holds nothing of other sites.
        api.MapGet("/me", (HttpContext http) =>
        {
            var caller = HubApi.Caller(http);
            return TypedResults.Json(
                new CallerView(caller.TenantId, caller.Name, caller.Account, caller.Role, caller.Sites, caller.ExpiresAt), ApiJson.Default.CallerView);
        }).RequireAuthorization(HubAuthorization.Read).NarrowsToSiteScope();
        return api;
    }

    /// <summary>
    /// POST /api/v1/login, without a token: user, password and tenant (default "default") → a new API token bound to
    /// the account, valid for <see cref="SignInLifetime"/>. An unknown tenant, an unknown user and a wrong password get
    /// the same 401, so the answer never tells which names exist. Too many attempts from the client's address, or wrong
    /// passwords for the account from it, get 429 with Retry-After (<see cref="SignInLimits"/>), even with the right password.
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
        HttpRequest request, IAccountStore accounts, SignInAttempts attempts, HubMetrics metrics, TimeProvider time, ILoggerFactory loggers, IHubAudit audit, CancellationToken ct)
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
        var account = SignInAccounts.Key(tenant, body.User!);
        var address = RateLimits.RemoteAddress(request.HttpContext);
        if (attempts.LockedUntil(account, address) is { } until)
        {
            metrics.SignInLimited();
            AccountLog.SignInLimited(logger, tenant, body.User!, address);
            return Delayed(request.HttpContext, until, time);
        }

        var stored = await accounts.AccountCredentialAsync(tenant, body.User!, ct);
        var verified = PasswordHash.VerifyFound(body.Password!, stored?.PasswordHash);
        // Whole milliseconds, as the store keeps it: the answer says exactly what GET /me will.
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((time.GetUtcNow() + SignInLifetime).ToUnixTimeMilliseconds());
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
            return attempts.Failed(account, address) is { } delayed
                ? Delayed(request.HttpContext, delayed, time)
                : Problems.Unauthorized(SignInRefused);
        }

        attempts.Succeeded(account, address);
        metrics.SignedIn();
        await audit.RecordAsync(tenant, new AuditEntry("account:" + body.User!, AuditActions.SignIn, body.User!, RateLimits.RemoteAddress(request.HttpContext), $"api login, token until {expiresAt:O}"), CancellationToken.None);
        return TypedResults.Json(
            new SignedIn(token, tenant, body.User!, expiresAt) { Role = stored!.Grant.Role, Sites = stored.Grant.Sites },
            ApiJson.Default.SignedIn, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>The answer while the account must wait from this address: 429, Retry-After, a problem body (as the rate limiter's).</summary>
    private static IResult Delayed(HttpContext http, DateTimeOffset until, TimeProvider time) =>
        ProblemResults.TooManyRequests(http.Response, until - time.GetUtcNow(), "too many wrong passwords for this account from this address");

    private static async Task<IResult> AddAccountAsync(HttpContext http, IAccountStore accounts, ISiteRegistry sites, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.AddAccountRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        v.UserName("userName", body!.UserName);
        v.Password(body.Password);
        var tenant = HubApi.Tenant(http);
        var grant = await GrantAsync(body.Role ?? HubRoles.Viewer, body.Sites, tenant, sites, v, ct);
        if (!v.Valid)
            return v.Problem();

        var generated = body.Password is null ? GeneratedPassword.New() : null;
        try
        {
            await accounts.AddAccountAsync(tenant, body.UserName!, PasswordHash.Create(body.Password ?? generated!), grant, ct);
        }
        catch (StoreConflictException exception)
        {
            return Problems.Conflict(exception.Message);
        }

        return TypedResults.Json(new AccountAdded(body.UserName!, generated) { Role = grant.Role, Sites = grant.Sites }, ApiJson.Default.AccountAdded, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>PATCH /api/v1/accounts/{userName} <c>{"role", "sites"}</c>: the account's tokens and console sessions take the new role at their next call.</summary>
    private static async Task<IResult> SetGrantAsync(string userName, HttpContext http, IAccountStore accounts, ISiteRegistry sites, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.SetAccountRoleRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        var tenant = HubApi.Tenant(http);
        v.RequiredText("role", body!.Role, 32);
        var grant = await GrantAsync(body.Role ?? "", body.Sites, tenant, sites, v, ct);
        if (!v.Valid)
            return v.Problem();
        if (!await accounts.SetAccountGrantAsync(tenant, userName, grant, ct)
            || (await accounts.ListAccountsAsync(tenant, ct)).FirstOrDefault(a => string.Equals(a.UserName, userName, StringComparison.Ordinal)) is not { } account)
            return Problems.NotFound($"no account '{userName}'");
        return TypedResults.Json(new AccountView(account.UserName, account.CreatedAt, account.Grant.Role, account.Grant.Sites), ApiJson.Default.AccountView);
    }

    /// <summary>The role and scope a request asks for, checked: a known role, sites for a site operator only, each a site of the tenant.</summary>
    private static async Task<HubGrant> GrantAsync(
        string role, IReadOnlyList<string>? requested, string tenant, ISiteRegistry sites, Validation v, CancellationToken ct)
    {
        var grant = new HubGrant(role, (requested ?? []).Distinct(StringComparer.Ordinal).ToList());
        if (HubRoles.ScopeProblem(grant.Role, grant.Sites) is { } scopeProblem)
            v.Add(HubRoles.IsKnown(grant.Role) ? "sites" : "role", scopeProblem);
        foreach (var site in grant.Sites)
        {
            if (!await sites.SiteExistsAsync(tenant, site, ct))
                v.Add("sites", $"no site '{site}'");
        }

        return grant;
    }
}

/// <summary>POST /login: <c>Tenant</c> null means the default tenant.</summary>
public sealed record LoginRequest(string? User, string? Password, string? Tenant);

/// <summary>A sign-in's token, with the account's role and site scope and until when the token is valid.</summary>
public sealed record SignedIn(string Token, string Tenant, string User, DateTimeOffset ExpiresAt)
{
    public string Role { get; init; } = HubRoles.TenantAdmin;

    public IReadOnlyList<string> Sites { get; init; } = [];
}

/// <summary>GET /me: who the API token speaks for (tenant, name, account when a sign-in issued it), its role and scope, until when.</summary>
public sealed record CallerView(string Tenant, string Name, string? Account, string Role, IReadOnlyList<string> Sites, DateTimeOffset? ExpiresAt);

/// <summary>PATCH /accounts/{userName}: the account's new role, and its sites when a site operator.</summary>
public sealed record SetAccountRoleRequest(string? Role, IReadOnlyList<string>? Sites);

/// <summary>
/// A new account; <c>Password</c> null asks the hub to generate one. <c>Role</c> null makes a viewer (the least a
/// person may do); <c>Sites</c> is a site operator's scope.
/// </summary>
public sealed record AddAccountRequest(string? UserName, string? Password, string? Role = null, IReadOnlyList<string>? Sites = null);

/// <summary>Answer to a new account: <c>Password</c> is the generated one (shown this once), null when the caller gave it.</summary>
public sealed record AccountAdded(string UserName, string? Password)
{
    public string Role { get; init; } = HubRoles.Viewer;

    public IReadOnlyList<string> Sites { get; init; } = [];
}

public sealed record AccountView(string UserName, DateTimeOffset CreatedAt, string Role, IReadOnlyList<string> Sites);
