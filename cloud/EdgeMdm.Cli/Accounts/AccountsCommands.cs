using EdgeMdm.Cli.Hub;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cli.Accounts;

/// <summary><c>accounts add | list | remove</c>: central IT's own accounts in the tenant.</summary>
internal static class AccountsCommands
{
    public static Command Create(CliSession cli) =>
        new("accounts", "central IT's accounts (user name, password, role) in your tenant") { Add(cli), List(cli), SetRole(cli), Remove(cli) };

    /// <summary>A new <c>--role</c> option: what the account may do at the hub.</summary>
    private static Option<string> RoleOption(string description) => new("--role")
    {
        Description = description + ": " + string.Join(", ", HubRoles.All),
    };

    /// <summary>A new <c>--site</c> option: a site operator's sites.</summary>
    private static Option<string[]> SitesOption() => new("--site") { Description = "a site a site-operator is limited to (repeat for several)" };

    private static Command Add(CliSession cli)
    {
        var name = new Argument<string>("name") { Description = "the account's user name (letters, digits, '.', '_', '-', '@')" };
        var passwordStdin = CliOptions.PasswordStdin();
        var json = CliOptions.Json();
        var role = RoleOption("what the account may do (default: viewer)");
        var sites = SitesOption();
        var add = new Command(
            "add",
            "add a central IT account to your tenant; without --password-stdin the hub generates a strong password, printed this once")
        {
            name, passwordStdin, role, sites, json,
        };
        add.SetAction(async (result, cancellationToken) =>
        {
            var userName = result.GetValue(name)!;
            var password = result.GetValue(passwordStdin) ? await cli.ReadPasswordAsync(fromStdin: true, "") : null;
            using var hub = cli.Connect(result);
            var scope = result.GetValue(sites) is { Length: > 0 } given ? given : null;
            var added = await hub.AddAccountAsync(new HubAddAccount(userName, password, result.GetValue(role), scope), cancellationToken);
            var row = new AccountRow(added.UserName ?? userName, null, added.Password) { Role = added.Role, Sites = added.Sites };
            return cli.Print(result, json, row, CliJson.Default.AccountRow, () =>
            {
                cli.Output.WriteLine($"account   {row.UserName}");
                cli.Output.WriteLine($"role      {RoleText(row.Role, row.Sites)}");
                cli.WriteGeneratedPassword(row.Password);
            });
        });
        return add;
    }

    private static Command List(CliSession cli)
    {
        var json = CliOptions.Json();
        var list = new Command("list", "the central IT accounts of your tenant") { json };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var accounts = (await hub.ListAccountsAsync(cancellationToken))
                .Select(a => new AccountRow(a.UserName ?? "", a.CreatedAt) { Role = a.Role, Sites = a.Sites })
                .ToList();
            return cli.Print(result, json, accounts, CliJson.Default.ListAccountRow, () =>
                TextTable.Write(cli.Output, ["USER", "ROLE", "CREATED"], accounts.Select(a => new[] { a.UserName, RoleText(a.Role, a.Sites), Time(a.CreatedAt) })));
        });
        return list;
    }

    private static Command SetRole(CliSession cli)
    {
        var name = new Argument<string>("name") { Description = "the account's user name" };
        var role = RoleOption("the account's new role");
        role.Required = true;
        var sites = SitesOption();
        var setRole = new Command("set-role", "give an account another role; its tokens and console sessions take it at their next call") { name, role, sites };
        setRole.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var changed = await hub.SetAccountRoleAsync(
                result.GetValue(name)!, new HubAccountRole(result.GetValue(role)!, result.GetValue(sites) is { Length: > 0 } given ? given : null), cancellationToken);
            await cli.Output.WriteLineAsync($"account {changed.UserName ?? result.GetValue(name)} is now {RoleText(changed.Role, changed.Sites)}");
            return 0;
        });
        return setRole;
    }

    private static Command Remove(CliSession cli)
    {
        var name = new Argument<string>("name") { Description = "the account's user name" };
        var remove = new Command("remove", "remove an account; the tokens it signed in for stop working at once") { name };
        remove.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            await hub.RemoveAccountAsync(result.GetValue(name)!, cancellationToken);
            await cli.Output.WriteLineAsync($"account {result.GetValue(name)} removed");
            return 0;
        });
        return remove;
    }
}
