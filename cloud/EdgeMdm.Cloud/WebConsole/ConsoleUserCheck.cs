using System.Security.Claims;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// Whether a console session's account may still be here: it exists, and its password is the one it signed in with.
/// Removing the account or changing its password ends its sessions at their next request.
/// </summary>
internal sealed class ConsoleUserCheck(IAccountStore accounts) : IWebUserCheck
{
    public async ValueTask<bool> IsStillValidAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!user.IsInRole(ConsoleAccess.CentralItRole) || user.Identity?.Name is not { Length: > 0 } name || ConsoleAccess.TenantOrNull(user) is not { } tenant)
            return false;
        var version = user.FindFirst(WebSignInClaims.CredentialVersion)?.Value ?? "";
        var hash = await accounts.AccountPasswordHashAsync(tenant, name, cancellationToken);
        return hash is not null && string.Equals(ConsoleAccess.VersionOf(hash), version, StringComparison.Ordinal);
    }
}
