namespace EdgeMdm.Cli.Sites;

/// <summary><c>tokens create</c>: enrollment tokens a site's appliance accepts.</summary>
internal static class TokensCommands
{
    public static Command Create(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "the site whose appliance will accept the token", Required = true };
        var group = new Option<string>("--group") { Description = "device group the token enrolls into", Required = true };
        var uses = new Option<int>("--uses") { Description = "how many enrollments the token allows", DefaultValueFactory = _ => 1 };
        var expires = new Option<string>("--expires") { Description = "lifetime, e.g. 8h, 30m, 14d", DefaultValueFactory = _ => "8h" };
        var json = CliOptions.Json();
        var create = new Command("create", "issue an enrollment token for a site; prints the token alone") { site, group, uses, expires, json };
        create.SetAction(async (result, cancellationToken) =>
        {
            var lifetime = ParseDuration(result.GetValue(expires)!, "--expires");
            var count = result.GetValue(uses);
            if (count < 1)
                throw new CliException("--uses must be at least 1", 2);
            using var hub = cli.Connect(result);
            var issued = await hub.CreateTokenAsync(result.GetValue(site)!, result.GetValue(group)!, count, lifetime, cancellationToken);
            var token = new TokenRow(issued.Token ?? "", issued.Group ?? result.GetValue(group)!, issued.Uses ?? count, issued.ExpiresAt);
            return cli.Print(result, json, token, CliJson.Default.TokenRow, () => cli.Output.WriteLine(token.Token));
        });
        return new Command("tokens", "enrollment tokens") { create };
    }
}
