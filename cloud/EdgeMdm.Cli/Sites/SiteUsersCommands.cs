using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cli.Sites;

/// <summary><c>site-users add | list | remove</c>: the people who sign in to a site's appliance.</summary>
internal static class SiteUsersCommands
{
    public static Command Create(CliSession cli) =>
        new("site-users", "the supervisors and operators who sign in to a site's appliance (owned by the hub, synced to the site)")
        {
            Add(cli), List(cli), Remove(cli),
        };

    private static Option<string> SiteOption() => new("--site") { Description = "the site's id (see 'edgemdm sites list')", Required = true };

    private static Command Add(CliSession cli)
    {
        var site = SiteOption();
        var name = new Argument<string>("name") { Description = "the user name they sign in to the appliance with" };
        var role = new Option<string>("--role") { Description = "supervisor (runs the site; alone may wipe or retire), technician (works the floor) or viewer (only looks); operator is the older name of technician", Required = true };
        role.AcceptOnlyFromAmong([.. SiteUserRoles.Known]);
        var passwordStdin = CliOptions.PasswordStdin();
        var json = CliOptions.Json();
        var add = new Command(
            "add",
            "add a person who signs in to the site's appliance, or set the role and password of one it has; without --password-stdin " +
            "the hub generates a strong password, printed this once. The site gets it (as a hash only) at its next sync.")
        {
            site, name, role, passwordStdin, json,
        };
        add.SetAction(async (result, cancellationToken) =>
        {
            var (siteId, userName) = (result.GetValue(site)!, result.GetValue(name)!);
            var password = result.GetValue(passwordStdin) ? await cli.ReadPasswordAsync(fromStdin: true, "") : null;
            using var hub = cli.Connect(result);
            var saved = await hub.SaveSiteUserAsync(siteId, userName, result.GetValue(role)!, password, cancellationToken);
            var row = new SiteUserRow(saved.SiteId ?? siteId, saved.UserName ?? userName, saved.Role ?? result.GetValue(role)!, null, saved.Password);
            return cli.Print(result, json, row, CliJson.Default.SiteUserRow, () =>
            {
                cli.Output.WriteLine($"{(saved.Created == false ? "updated" : "added")} {row.UserName} ({row.Role}) at site {row.SiteId}");
                cli.WriteGeneratedPassword(row.Password);
            });
        });
        return add;
    }

    private static Command List(CliSession cli)
    {
        var site = SiteOption();
        var json = CliOptions.Json();
        var list = new Command("list", "the people who may sign in to the site's appliance") { site, json };
        list.SetAction(async (result, cancellationToken) =>
        {
            var siteId = result.GetValue(site)!;
            using var hub = cli.Connect(result);
            var users = (await hub.ListSiteUsersAsync(siteId, cancellationToken))
                .Select(u => new SiteUserRow(siteId, u.UserName ?? "", u.Role ?? "", u.UpdatedAt))
                .ToList();
            return cli.Print(result, json, users, CliJson.Default.ListSiteUserRow, () =>
                TextTable.Write(cli.Output, ["USER", "ROLE", "UPDATED"], users.Select(u => new[] { u.UserName, u.Role, Time(u.UpdatedAt) })));
        });
        return list;
    }

    private static Command Remove(CliSession cli)
    {
        var site = SiteOption();
        var name = new Argument<string>("name") { Description = "the site user's name" };
        var remove = new Command("remove", "remove a site user; the site drops them at its next sync") { site, name };
        remove.SetAction(async (result, cancellationToken) =>
        {
            var (siteId, userName) = (result.GetValue(site)!, result.GetValue(name)!);
            using var hub = cli.Connect(result);
            await hub.RemoveSiteUserAsync(siteId, userName, cancellationToken);
            await cli.Output.WriteLineAsync($"removed {userName} from site {siteId}");
            return 0;
        });
        return remove;
    }
}
