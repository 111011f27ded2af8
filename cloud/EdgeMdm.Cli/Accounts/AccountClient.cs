using System.Net.Http.Json;
using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Accounts;

/// <summary>The hub's calls about who a token is and what an account may do, beside the commands that use them.</summary>
internal static class AccountClient
{
    /// <summary>Who the API token speaks for: tenant, name, role, site scope and expiry.</summary>
    public static Task<HubCaller> WhoAmIAsync(this HubClient hub, CancellationToken cancellationToken) =>
        hub.GetAsync("api/v1/me", HubJson.Default.HubCaller, cancellationToken);

    /// <summary>Gives an account another role (and scope); its tokens and console sessions take it at their next call.</summary>
    public static Task<HubAccount> SetAccountRoleAsync(this HubClient hub, string userName, HubAccountRole role, CancellationToken cancellationToken) =>
        hub.SendAsync(
            HttpMethod.Patch, "api/v1/accounts/" + Uri.EscapeDataString(userName), JsonContent.Create(role, HubJson.Default.HubAccountRole), HubJson.Default.HubAccount,
            cancellationToken);
}
