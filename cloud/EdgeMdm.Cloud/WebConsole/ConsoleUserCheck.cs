using System.Security.Claims;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// Whether a console session's account may still be here: it exists, its password is the one it signed in with and
/// its role and sites are the ones it signed in with. Removing the account, changing its password or its role ends
/// its sessions at their next request (the person signs in again, with the new role).
/// </summary>
internal sealed class ConsoleUserCheck(IAccountStore accounts) : IWebUserCheck
{
    public async ValueTask<bool> IsStillValidAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity?.Name is not { Length: > 0 } name || ConsoleAccess.TenantOrNull(user) is not { } tenant)
            return false;
        var version = user.FindFirst(WebSignInClaims.CredentialVersion)?.Value ?? "";
        var account = await accounts.AccountCredentialAsync(tenant, name, cancellationToken);
        return account is not null
            && string.Equals(ConsoleAccess.VersionOf(account.PasswordHash), version, StringComparison.Ordinal)
            && HubClaims.GrantOf(user) is var held
            && string.Equals(held.Role, account.Grant.Role, StringComparison.Ordinal)
            && held.Sites.Order(StringComparer.Ordinal).SequenceEqual(account.Grant.Sites.Order(StringComparer.Ordinal), StringComparer.Ordinal);
    }
}
