using EdgeMdm.Cli.Accounts;
using EdgeMdm.Cli.Blueprints;
using EdgeMdm.Cli.Credentials;
using EdgeMdm.Cli.Devices;
using EdgeMdm.Cli.Hub;
using EdgeMdm.Cli.Packages;
using EdgeMdm.Cli.Reports;
using EdgeMdm.Cli.Sites;

namespace EdgeMdm.Cli;

/// <summary>
/// <c>edgemdm</c>: central IT's command line for the cloud hub. Every command but <c>login</c> calls the hub's
/// REST API with the API token from the credential file (or <c>--server</c>/<c>--token</c>, or
/// <c>EDGEMDM_SERVER</c>/<c>EDGEMDM_TOKEN</c>). Output goes to the writers given, so tests run it in-process.
/// Errors: one line on stderr and exit 1 (refused) or 2 (bad usage).
/// </summary>
public static class AdminCli
{
    public const string DefaultServer = "http://127.0.0.1:9080";
    private const string Name = "edgemdm";

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        RunAsync(args, stdout, stderr, Environment.GetEnvironmentVariable, TimeProvider.System);

    /// <param name="environment">Reads an environment variable; tests pass their own so they never see the real one.</param>
    /// <param name="time">The clock reports measure staleness against.</param>
    /// <param name="stdin">Where <c>--password-stdin</c> reads from; null means the process's standard input.</param>
    internal static async Task<int> RunAsync(
        string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, TimeProvider time, TextReader? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(time);

        var parsed = BuildCommands(new CliSession(stdout, stderr, stdin, environment, time)).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // "Unrecognized command or argument 'x'" says more than the "Required command was not provided" that comes with it.
            var error = parsed.Errors.OrderBy(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1).First();
            await stderr.WriteLineAsync($"{Name}: {OneLine(error.Message)} (see '{Name} --help')");
            return 2;
        }

        try
        {
            // Our own handler below turns refusals into one line; System.CommandLine's would print a stack trace.
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (CliException exception)
        {
            await stderr.WriteLineAsync($"{Name}: {OneLine(exception.Message)}");
            return exception.ExitCode;
        }
        catch (Exception exception) when (exception is HubException or HubUnreachableException)
        {
            await stderr.WriteLineAsync($"{Name}: {OneLine(exception.Message)}");
            return 1;
        }
    }

    private static RootCommand BuildCommands(CliSession cli) =>
        new("EdgeMdm admin CLI: sites, blueprints (GitOps), devices, commands and reports on the cloud hub.")
        {
            cli.Server,
            cli.Token,
            cli.Credentials,
            LoginCommand.Create(cli),
            WhoAmICommand.Create(cli),
            SitesCommands.Create(cli),
            BlueprintsCommands.Create(cli),
            DevicesCommands.Create(cli),
            CommandsCommands.Create(cli),
            CommandsCommands.Approvals(cli),
            TokensCommands.Create(cli),
            ReportCommands.Create(cli),
            AccountsCommands.Create(cli),
            SiteUsersCommands.Create(cli),
            PackagesCommands.Create(cli),
            RolloutsCommands.Create(cli),
            Custody.CustodyCommands.Create(cli),
            Audit.AuditCommands.Create(cli),
        };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
