using System.CommandLine;
using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Storage;
using EdgeMdm.Cloud.Tenants;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Cli;

/// <summary>
/// <c>edgemdm-cloud</c>: <c>serve</c> (the default), and the hub operator's <c>admin-token create</c> and
/// <c>tenants add|list</c>, which open the database themselves and so work while the hub runs on it; each
/// command group is in its own file, beside its feature. Errors: one line on stderr and exit 1 (refused) or 2
/// (bad usage).
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
        catch (StoreConflictException exception)
        {
            // A tenant that exists already, or an unknown one for --tenant.
            await Console.Error.WriteLineAsync($"{Name}: {exception.Message}");
            return 1;
        }
        catch (ArgumentException exception)
        {
            await Console.Error.WriteLineAsync($"{Name}: {exception.Message}");
            return 2;
        }
    }

    private static RootCommand BuildCommands()
    {
        var root = new RootCommand("EdgeMdm cloud hub: gRPC sync for sites, REST API for central IT.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(AdminTokenCommand.Create());
        root.Subcommands.Add(TenantsCommand.Create());
        return root;
    }
}
