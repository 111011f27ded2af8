namespace EdgeMdm.Cli.Accounts;

/// <summary><c>accounts add | list | remove</c>: central IT's own accounts in the tenant.</summary>
internal static class AccountsCommands
{
    public static Command Create(CliSession cli) =>
        new("accounts", "central IT's accounts (user name and password) in your tenant") { Add(cli), List(cli), Remove(cli) };

    private static Command Add(CliSession cli)
    {
        var name = new Argument<string>("name") { Description = "the account's user name (letters, digits, '.', '_', '-', '@')" };
        var passwordStdin = CliOptions.PasswordStdin();
        var json = CliOptions.Json();
        var add = new Command(
            "add",
            "add a central IT account to your tenant; without --password-stdin the hub generates a strong password, printed this once")
        {
            name, passwordStdin, json,
        };
        add.SetAction(async (result, cancellationToken) =>
        {
            var userName = result.GetValue(name)!;
            var password = result.GetValue(passwordStdin) ? await cli.ReadPasswordAsync(fromStdin: true, "") : null;
            using var hub = cli.Connect(result);
            var added = await hub.AddAccountAsync(userName, password, cancellationToken);
            var row = new AccountRow(added.UserName ?? userName, null, added.Password);
            return cli.Print(result, json, row, CliJson.Default.AccountRow, () =>
            {
                cli.Output.WriteLine($"account   {row.UserName}");
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
            var accounts = (await hub.ListAccountsAsync(cancellationToken)).Select(a => new AccountRow(a.UserName ?? "", a.CreatedAt)).ToList();
            return cli.Print(result, json, accounts, CliJson.Default.ListAccountRow, () =>
                TextTable.Write(cli.Output, ["USER", "CREATED"], accounts.Select(a => new[] { a.UserName, Time(a.CreatedAt) })));
        });
        return list;
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
