using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cloud.SiteUsers;

/// <summary>
/// Each site's users. Passwords are hashed here (PBKDF2, <see cref="PasswordHash"/>) before they reach the store;
/// a generated password is answered once and never kept in clear.
/// </summary>
internal static class SiteUserApi
{
    public static RouteGroupBuilder MapSiteUserApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sites/{siteId}/users", UpsertSiteUserAsync).RequireAuthorization(HubAuthorization.Administer);
        api.MapGet("/sites/{siteId}/users", async (string siteId, HttpContext http, ISiteUserStore users, CancellationToken ct) =>
            await users.ListSiteUsersAsync(HubApi.Tenant(http), siteId, ct) is { } list
                ? TypedResults.Json(list.ToList(), ApiJson.Default.ListSiteUserRecord)
                : Problems.NoSite(siteId)).RequireAuthorization(HubAuthorization.Read);
        api.MapDelete("/sites/{siteId}/users/{userName}", RemoveSiteUserAsync).RequireAuthorization(HubAuthorization.Administer);
        return api;
    }

    /// <summary>
    /// POST /api/v1/sites/{siteId}/users: creates the site user (201) or, for a name the site has, replaces its
    /// role and password (200, a password reset). Without a password one is generated and answered this once.
    /// </summary>
    private static async Task<IResult> UpsertSiteUserAsync(
        string siteId, HttpContext http, ISiteRegistry sites, ISiteUserStore users, ILoggerFactory loggers, CancellationToken ct)
    {
        var tenant = HubApi.Tenant(http);
        var (body, problem) = await JsonBody.ReadForSiteAsync(http.Request, sites, tenant, siteId, ApiJson.Default.SiteUserRequest, ct);
        if (problem is not null)
            return problem;
        var v = new Validation();
        v.UserName("userName", body!.UserName);
        if (!SiteUserRoles.IsKnown(body.Role))
            v.Add("role", "must be " + string.Join(" or ", SiteUserRoles.All));
        v.Password(body.Password);
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
            return Problems.NoSite(siteId);
        }

        var logger = loggers.CreateLogger(typeof(SiteUserApi).FullName!);
        var (name, role, caller) = (body.UserName!, body.Role!, HubApi.Caller(http).Name);
        if (created)
            SiteUserLog.SiteUserAdded(logger, name, siteId, role, caller);
        else
            SiteUserLog.SiteUserChanged(logger, name, siteId, role, caller);
        return TypedResults.Json(
            new SiteUserSaved(siteId, body.UserName!, body.Role!, created, generated), ApiJson.Default.SiteUserSaved,
            statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> RemoveSiteUserAsync(
        string siteId, string userName, HttpContext http, ISiteUserStore users, ILoggerFactory loggers, CancellationToken ct)
    {
        try
        {
            if (!await users.RemoveSiteUserAsync(HubApi.Tenant(http), siteId, userName, ct))
                return Problems.NotFound($"site '{siteId}' has no user '{userName}'");
            var logger = loggers.CreateLogger(typeof(SiteUserApi).FullName!);
            var caller = HubApi.Caller(http).Name;
            SiteUserLog.SiteUserRemoved(logger, userName, siteId, caller);
            return Results.NoContent();
        }
        catch (StoreConflictException)
        {
            return Problems.NoSite(siteId);
        }
    }
}

/// <summary>A site user to create or change; <c>Password</c> null asks the hub to generate one.</summary>
public sealed record SiteUserRequest(string? UserName, string? Role, string? Password);

/// <summary>Answer to a site user saved: <c>Password</c> is the generated one (shown this once), null when the caller gave it.</summary>
public sealed record SiteUserSaved(string SiteId, string UserName, string Role, bool Created, string? Password);
