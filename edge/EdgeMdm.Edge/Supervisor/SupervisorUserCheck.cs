using System.Globalization;
using System.Security.Claims;
using EdgeMdm.Edge.SiteUsers;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>
/// Who signed in to the supervisor page, and whether they still may be here: a site user as the hub last sent them
/// (removed, or their role or password changed since: the session ends), or the break-glass administrator.
/// </summary>
internal sealed class SupervisorUserCheck(ISiteUserDirectory users, BreakGlassAdmin admin) : IWebUserCheck
{
    public const string SiteUserPrefix = "site-user:";

    public static string VersionOf(SiteUser user) => user.UpdatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    public ValueTask<bool> IsStillValidAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var account = user.FindFirst(WebSignInClaims.Account)?.Value ?? "";
        var version = user.FindFirst(WebSignInClaims.CredentialVersion)?.Value ?? "";
        var role = user.FindFirst(ClaimTypes.Role)?.Value ?? "";
        if (string.Equals(account, BreakGlassAdmin.Account, StringComparison.Ordinal))
            return ValueTask.FromResult(admin.CreatedAt() is { } created && string.Equals(created.ToString(CultureInfo.InvariantCulture), version, StringComparison.Ordinal));
        if (!account.StartsWith(SiteUserPrefix, StringComparison.Ordinal))
            return ValueTask.FromResult(false);
        var current = users.FindSiteUser(account[SiteUserPrefix.Length..]);
        return ValueTask.FromResult(current is not null
            && string.Equals(current.Role, role, StringComparison.Ordinal)
            && string.Equals(VersionOf(current), version, StringComparison.Ordinal));
    }
}
