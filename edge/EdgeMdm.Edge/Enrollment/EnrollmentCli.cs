using System.CommandLine;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Enrollment;

/// <summary><c>edgemdm-edge token create|list</c>.</summary>
public static class EnrollmentCli
{
    public static Command Token(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var group = new Option<string>("--group") { Description = "device group the token enrolls into", Required = true };
        var uses = new Option<int>("--uses") { Description = "how many enrollments the token allows", DefaultValueFactory = _ => 1 };
        var expires = new Option<string>("--expires") { Description = "lifetime, e.g. 8h, 30m, 14d", DefaultValueFactory = _ => "8h" };
        var create = commands.Create("create", "create an enrollment token and print it (alone on stdout)", [group, uses, expires], async cli =>
        {
            var lifetime = CliText.Duration(cli.Result.GetValue(expires)!, "--expires");
            var count = cli.Result.GetValue(uses);
            if (count < 1)
                throw new CliException("--uses must be at least 1", 2);
            var groupName = cli.Result.GetValue(group)!;
            var groups = cli.Get<IBlueprints>().LoadAll().Select(b => b.Group).Order(StringComparer.Ordinal).ToList();
            if (!groups.Contains(groupName, StringComparer.Ordinal))
            {
                var known = groups.Count == 0 ? "none yet (start serve with --seed)" : string.Join(", ", groups);
                throw new CliException($"group '{groupName}' has no blueprint at this site; groups: {known}");
            }

            var now = DateTimeOffset.UtcNow;
            var token = await cli.Get<ITokenStore>().CreateTokenAsync(groupName, count, now + lifetime, OperatorCommands.Actor, now);
            return cli.Print(token, () => Console.WriteLine(token.Token));
        });

        var list = commands.Create("list", "list enrollment tokens (never their clear values)", [], cli =>
        {
            var tokens = cli.Get<ITokenStore>().ListTokens();
            return cli.Print(tokens, () => Table.Write(
                ["TOKEN", "GROUP", "USED", "EXPIRES"],
                tokens.Select(t => new[] { t.Prefix + "…", t.Group, $"{t.UsesCount}/{t.UsesAllowed}", CliText.Time(t.ExpiresAt) })));
        });
        return new Command("token", "enrollment tokens") { create, list };
    }
}
