using EdgeMdm.Cli.Accounts;
using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Credentials;

/// <summary><c>whoami</c>: who the CLI is signed in as, as the hub sees the token now (tenant, role, sites, until when).</summary>
internal static class WhoAmICommand
{
    public static Command Create(CliSession cli)
    {
        var json = CliOptions.Json();
        var whoami = new Command("whoami", "show who you are signed in as: hub, tenant, name, role, sites and until when the token is valid") { json };
        whoami.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var caller = await hub.WhoAmIAsync(cancellationToken);
            var row = new WhoAmIRow(
                hub.Server.ToString(), caller.Tenant ?? "", caller.Name ?? "", caller.Account, caller.Role ?? "", caller.Sites ?? [], caller.ExpiresAt);
            return cli.Print(result, json, row, CliJson.Default.WhoAmIRow, () =>
            {
                cli.Output.WriteLine($"hub       {row.Server}");
                cli.Output.WriteLine($"tenant    {row.Tenant}");
                cli.Output.WriteLine($"name      {row.Name}{(row.Account is null ? " (API token)" : " (account)")}");
                cli.Output.WriteLine($"role      {RoleText(row.Role, row.Sites)}");
                cli.Output.WriteLine($"until     {Time(row.ExpiresAt, "no expiry")}");
            });
        });
        return whoami;
    }
}
