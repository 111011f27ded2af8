using EdgeMdm.Cli.Accounts;
using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Credentials;

/// <summary><c>login</c>: the one command that writes the credential file the others read.</summary>
internal static class LoginCommand
{
    public static Command Create(CliSession cli)
    {
        var noVerify = new Option<bool>("--no-verify") { Description = "with --token: write the credential file without checking the token against the hub" };
        var user = new Option<string>("--user") { Description = "sign in with this account (asks the hub for a token valid 30 days) instead of --token" };
        var tenant = new Option<string>("--tenant") { Description = "the account's tenant (default: the hub's 'default')" };
        var passwordStdin = CliOptions.PasswordStdin();
        var login = new Command(
            "login",
            "sign in to the hub with an account (--user) or an API token (--token) and store the token in the credential file (mode 0600)")
        {
            noVerify, user, tenant, passwordStdin,
        };
        login.SetAction(async (result, cancellationToken) =>
        {
            var userName = NonEmpty(result.GetValue(user));
            var givenToken = NonEmpty(result.GetValue(cli.Token));
            if (result.GetValue(cli.Server) is not { Length: > 0 } serverText || (userName is null) == (givenToken is null))
                throw new CliException("login needs --server URL and either --user NAME or --token T", 2);
            if (userName is null && (result.GetValue(tenant) is not null || result.GetValue(passwordStdin)))
                throw new CliException("--tenant and --password-stdin go with --user", 2);
            var server = ServerUri(serverText);
            string token;
            var signedInAs = "";
            DateTimeOffset? expiresAt = null;
            if (userName is not null)
            {
                var password = await cli.ReadPasswordAsync(result.GetValue(passwordStdin), $"password for {userName}: ");
                using var hub = new HubClient(server, token: null);
                var signedIn = await hub.LoginAsync(userName, password, NonEmpty(result.GetValue(tenant)), cancellationToken);
                token = signedIn.Token ?? throw new HubException("Unexpected answer", "the hub answered the sign-in without a token");
                expiresAt = signedIn.ExpiresAt;
                signedInAs = $" as {userName} (tenant {signedIn.Tenant ?? "default"}, {RoleText(signedIn.Role, signedIn.Sites)}, until {Time(signedIn.ExpiresAt)})";
            }
            else
            {
                token = givenToken!;
                if (!result.GetValue(noVerify))
                {
                    using var hub = new HubClient(server, token);
                    var caller = await hub.WhoAmIAsync(cancellationToken);
                    expiresAt = caller.ExpiresAt;
                    signedInAs = $" as {caller.Name} (tenant {caller.Tenant}, {RoleText(caller.Role, caller.Sites)}, until {Time(caller.ExpiresAt, "no expiry")})";
                }
            }

            var path = cli.CredentialsPath(result);
            CredentialFile.Write(path, new HubCredentials(server.ToString(), token) { ExpiresAt = expiresAt });
            await cli.Output.WriteLineAsync($"signed in to {server}{signedInAs} (credentials in {Path.GetFullPath(path)})");
            return 0;
        });
        return login;
    }
}
