using System.CommandLine;
using EdgeMdm.ServiceDefaults;
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

    public static Task<int> RunAsync(string[] args) => HostCommandLine.RunAsync(Name, BuildCommands(), args, exception => exception switch
    {
        // Typically a port taken or a database directory that cannot be written.
        IOException => new CommandRefusal("cannot start: " + exception.Message),
        // A tenant that exists already, or an unknown one for --tenant.
        StoreConflictException => new CommandRefusal(exception.Message),
        // The database unreachable, restarting or out of connections.
        StoreUnavailableException unavailable => new CommandRefusal("the database is unavailable: " + unavailable.Detail),
        ArgumentException => new CommandRefusal(exception.Message, 2),
        // signing-key rotate on a database the hub never started on.
        InvalidOperationException => new CommandRefusal(exception.Message),
        // A backup or restore refused: a damaged or foreign archive, a directory in use or not empty.
        ServiceDefaults.Backups.BackupRefusedException => new CommandRefusal(exception.Message),
        _ => null,
    });

    private static RootCommand BuildCommands()
    {
        var root = new RootCommand("EdgeMdm cloud hub: gRPC sync for sites, REST API for central IT.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(AdminTokenCommand.Create());
        root.Subcommands.Add(TenantsCommand.Create());
        root.Subcommands.Add(Packages.SigningKeyCommand.Create());
        foreach (var command in Backup.HubBackupCommand.Create())
            root.Subcommands.Add(command);
        return root;
    }
}
