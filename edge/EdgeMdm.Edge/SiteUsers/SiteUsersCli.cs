using System.CommandLine;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.SiteUsers;

/// <summary><c>edgemdm-edge users list</c>.</summary>
public static class SiteUsersCli
{
    public static Command Users(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var list = commands.Create("list", "who may sign in to this appliance, as the cloud hub last sent them (never their passwords)", [], cli =>
        {
            var users = cli.Get<ISiteUserDirectory>().ListSiteUsers();
            return cli.Print(users, () => Table.Write(["USER", "ROLE", "UPDATED"], users.Select(u => new[] { u.UserName, u.Role, CliText.Time(u.UpdatedAt) })));
        });
        return new Command("users", "site users (supervisors, operators); managed at the cloud hub with 'edgemdm site-users'") { list };
    }
}
