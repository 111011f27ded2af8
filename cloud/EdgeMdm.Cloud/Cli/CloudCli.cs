using System.CommandLine;
using EdgeMdm.Cloud.Hosting;
using EdgeMdm.Cloud.Options;
using EdgeMdm.Cloud.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Cli;

/// <summary>
/// <c>edgemdm-cloud</c>: <c>serve</c> (the default) and <c>admin-token create</c>, which opens the database
/// itself and so works while the hub runs on it. Errors: one line on stderr and exit 1 (refused) or 2 (bad usage).
/// </summary>
public static class CloudCli
{
    private const string Name = "edgemdm-cloud";

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version")))
            args = ["serve", .. args];
        var parsed = BuildCommands().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"{Name}: {parsed.Errors[0].Message} (see '{Name} --help')");
            return 2;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OptionsValidationException exception)
        {
            await Console.Error.WriteLineAsync($"{Name}: invalid settings: " + string.Join("; ", exception.Failures));
            return 2;
        }
        catch (IOException exception)
        {
            // Typically a port taken or a database directory that cannot be written.
            await Console.Error.WriteLineAsync($"{Name}: cannot start: {exception.Message}");
            return 1;
        }
    }

    /// <summary>Creates an API token named <paramref name="name"/> in <paramref name="database"/> and writes it alone on a line.</summary>
    public static async Task CreateAdminTokenAsync(string database, string name, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var store = await HubStore.OpenAsync(HubOptions.ConnectionStringFor(database), TimeProvider.System, cancellationToken);
        var token = await store.CreateApiTokenAsync(name, cancellationToken);
        await output.WriteLineAsync(token);
    }

    private static RootCommand BuildCommands()
    {
        var serve = new Command("serve", "run the hub (the default command)")
        {
            new Option<string>("--database") { Description = "connection string or directory (default ./data/cloud)" },
            new Option<string>("--rest-url") { Description = "REST API address (default http://127.0.0.1:9080)" },
            new Option<string>("--grpc-url") { Description = "gRPC sync address, HTTP/2 only (default http://127.0.0.1:9081)" },
        };
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction(async (result, cancellationToken) =>
        {
            // The host reads its own switches (and any ASP.NET setting) from the raw arguments.
            var hostArgs = result.Tokens.Select(t => t.Value).SkipWhile(t => string.Equals(t, "serve", StringComparison.Ordinal)).ToArray();
            await using var app = await CloudHost.BuildAsync(hostArgs, cancellationToken: cancellationToken);
            await app.RunAsync(cancellationToken);
            return 0;
        });

        var name = new Option<string>("--name") { Description = "who or what the token is for (recorded as the creator of commands)", Required = true };
        var database = new Option<string>("--database")
        {
            Description = "connection string or directory of the hub (default: $EDGEMDM_Cloud__Database or ./data/cloud)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("EDGEMDM_Cloud__Database") ?? new HubOptions().Database,
        };
        var create = new Command("create", "create an API token for the REST API and print it (alone on stdout)") { name, database };
        create.SetAction(async (result, cancellationToken) =>
        {
            await CreateAdminTokenAsync(result.GetValue(database)!, result.GetValue(name)!, Console.Out, cancellationToken);
            return 0;
        });

        var root = new RootCommand("EdgeMdm cloud hub: gRPC sync for sites, REST API for central IT.");
        root.Subcommands.Add(serve);
        root.Subcommands.Add(new Command("admin-token", "API tokens for the REST API") { create });
        return root;
    }
}
