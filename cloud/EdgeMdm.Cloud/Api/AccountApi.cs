using EdgeMdm.Cloud.Storage;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// People: central IT's accounts (and signing in with them for an API token) and each site's users. Passwords
/// are hashed here (PBKDF2, <see cref="PasswordHash"/>) before they reach the store; a generated password is
/// answered once and never kept in clear.
/// </summary>
internal static class AccountApi
{
    /// <summary>How long a token from <c>POST /login</c> lasts; then the person signs in again.</summary>
    public static readonly TimeSpan SignInLifetime = TimeSpan.FromDays(30);

    private const string SignInRefused = "unknown user or wrong password";

    // Verified when the user is unknown, so that an unknown name costs the same time as a wrong password and
    // the answer's timing does not tell which names exist.
    private static readonly Lazy<string> UnknownUserHash = new(() => PasswordHash.Create(GeneratedPassword.New()));

    public static IEndpointRouteBuilder MapAccountApi(this IEndpointRouteBuilder api)
    {
        api.MapPost("/accounts", AddAccountAsync);
        api.MapGet("/accounts", async (HttpContext http, IAccountStore accounts, CancellationToken ct) =>
            TypedResults.Json(
                (await accounts.ListAccountsAsync(AdminApi.Tenant(http), ct)).Select(a => new AccountView(a.UserName, a.CreatedAt)).ToList(),
                ApiJson.Default.ListAccountView));
        api.MapDelete("/accounts/{userName}", async (string userName, HttpContext http, IAccountStore accounts, CancellationToken ct) =>
            await accounts.RemoveAccountAsync(AdminApi.Tenant(http), userName, ct) ? Results.NoContent() : Problems.NotFound($"no account '{userName}'"));

        api.MapPost("/sites/{siteId}/users", UpsertSiteUserAsync);
        api.MapGet("/sites/{siteId}/users", async (string siteId, HttpContext http, ISiteUserStore users, CancellationToken ct) =>
            await users.ListSiteUsersAsync(AdminApi.Tenant(http), siteId, ct) is { } list
                ? TypedResults.Json(list.ToList(), ApiJson.Default.ListSiteUserRecord)
                : Problems.NotFound($"no site '{siteId}'"));
        api.MapDelete("/sites/{siteId}/users/{userName}", RemoveSiteUserAsync);
        return api;
    }

    /// <summary>
    /// POST /api/v1/login, without a token: user, password and tenant (default "default") → a new API token
    /// bound to the account, valid for <see cref="SignInLifetime"/>. An unknown tenant, an unknown user and a
    /// wrong password get the same 401, so the answer never tells which names exist. Too many failures for the
    /// account or from the client's address get 429 with Retry-After (<see cref="SignInThrottles"/>), even with the right password.
    /// </summary>
    public static async Task<IResult> LoginAsync(
        HttpRequest request, IAccountStore accounts, SignInThrottles throttles, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
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
        var now = time.GetUtcNow();
        var accountKey = tenant + "\n" + body.User;
        var addressKey = request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "";
        if (throttles.RetryAfter(accountKey, addressKey, now) is { } wait)
        {
            Hosting.Log.SignInThrottled(loggers.CreateLogger(typeof(AccountApi).FullName!), tenant, body.User!, addressKey);
            var seconds = (long)Math.Ceiling(wait.TotalSeconds);
            request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Create(StatusCodes.Status429TooManyRequests, "Too many sign-in attempts", $"too many failed sign-ins; try again in {seconds} s");
        }

        var stored = await accounts.AccountPasswordHashAsync(tenant, body.User!, ct);
        var verified = PasswordHash.Verify(body.Password!, stored ?? UnknownUserHash.Value) && stored is not null;
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
            throttles.RecordFailure(accountKey, addressKey, now);
            Hosting.Log.SignInRefused(loggers.CreateLogger(typeof(AccountApi).FullName!), tenant, body.User!);
            return Problems.Unauthorized(SignInRefused);
        }

        throttles.Accounts.Forget(accountKey);

        return TypedResults.Json(new SignedIn(token, tenant, body.User!, expiresAt), ApiJson.Default.SignedIn, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> AddAccountAsync(HttpContext http, IAccountStore accounts, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.AddAccountRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        UserName(v, "userName", body!.UserName);
        Password(v, body.Password);
        if (!v.Valid)
            return v.Problem();

        var generated = body.Password is null ? GeneratedPassword.New() : null;
        try
        {
            await accounts.AddAccountAsync(AdminApi.Tenant(http), body.UserName!, PasswordHash.Create(body.Password ?? generated!), ct);
        }
        catch (StoreConflictException exception)
        {
            return Problems.Conflict(exception.Message);
        }

        return TypedResults.Json(new AccountAdded(body.UserName!, generated), ApiJson.Default.AccountAdded, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>
    /// POST /api/v1/sites/{siteId}/users: creates the site user (201) or, for a name the site has, replaces its
    /// role and password (200, a password reset). Without a password one is generated and answered this once.
    /// </summary>
    private static async Task<IResult> UpsertSiteUserAsync(string siteId, HttpContext http, ISiteRegistry sites, ISiteUserStore users, CancellationToken ct)
    {
        var tenant = AdminApi.Tenant(http);
        if (!await sites.SiteExistsAsync(tenant, siteId, ct))
            return Problems.NotFound($"no site '{siteId}'");
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.SiteUserRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        UserName(v, "userName", body!.UserName);
        if (!SiteUserRoles.IsKnown(body.Role))
            v.Add("role", "must be " + string.Join(" or ", SiteUserRoles.All));
        Password(v, body.Password);
        if (!v.Valid)
            return v.Problem();

        var generated = body.Password is null ? GeneratedPassword.New() : null;
        bool created;
        try
        {
            created = await users.UpsertSiteUserAsync(tenant, siteId, body.UserName!, body.Role!, PasswordHash.Create(body.Password ?? generated!), ct);
        }
        catch (StoreConflictException)
        {
            return Problems.NotFound($"no site '{siteId}'");
        }

        return TypedResults.Json(
            new SiteUserSaved(siteId, body.UserName!, body.Role!, created, generated), ApiJson.Default.SiteUserSaved,
            statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> RemoveSiteUserAsync(string siteId, string userName, HttpContext http, ISiteUserStore users, CancellationToken ct)
    {
        try
        {
            return await users.RemoveSiteUserAsync(AdminApi.Tenant(http), siteId, userName, ct)
                ? Results.NoContent()
                : Problems.NotFound($"site '{siteId}' has no user '{userName}'");
        }
        catch (StoreConflictException)
        {
            return Problems.NotFound($"no site '{siteId}'");
        }
    }

    private static void UserName(Validation v, string field, string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            v.Add(field, "is required");
        else if (!UserNames.IsValid(name))
            v.Add(field, UserNames.Rule);
    }

    /// <summary>An optional password: absent means "generate one"; given, it must be long enough to resist guessing.</summary>
    private static void Password(Validation v, string? password)
    {
        if (password is { Length: < PasswordHash.MinPasswordLength or > PasswordHash.MaxPasswordLength })
            v.Add("password", $"must be {PasswordHash.MinPasswordLength}-{PasswordHash.MaxPasswordLength} characters (leave it out to have one generated)");
    }
}
