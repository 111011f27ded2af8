using System.CommandLine;
using EdgeMdm.Cloud.Hosting;
using EdgeMdm.Cloud.Options;
using EdgeMdm.Cloud.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Cli;

/// <summary>
/// <c>edgemdm-cloud</c>: <c>serve</c> (the default), and the hub operator's <c>admin-token create</c> and
/// <c>tenants add|list</c>, which open the database themselves and so work while the hub runs on it. Errors:
/// one line on stderr and exit 1 (refused) or 2 (bad usage).
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

    /// <summary>
    /// Creates an API token of <paramref name="tenantId"/> named <paramref name="name"/> in <paramref name="database"/>
    /// and writes it alone on a line; an unknown tenant throws <see cref="StoreConflictException"/>.
    /// </summary>
    public static async Task CreateAdminTokenAsync(
        string database, string name, TextWriter output, string tenantId = TenantIds.Default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var store = await HubStore.OpenAsync(HubOptions.ConnectionStringFor(database), TimeProvider.System, cancellationToken);
        var token = await store.CreateApiTokenAsync(tenantId, name, cancellationToken);
        await output.WriteLineAsync(token);
    }

    /// <summary>
    /// Creates a tenant and a first API token for it (named "NAME admin"), so central IT of the new tenant can
    /// sign in and make accounts; writes "tenant ID" and "token T" lines.
    /// </summary>
    public static async Task AddTenantAsync(string database, string name, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var store = await HubStore.OpenAsync(HubOptions.ConnectionStringFor(database), TimeProvider.System, cancellationToken);
        var tenant = await store.AddTenantAsync(name.Trim(), cancellationToken);
        var token = await store.CreateApiTokenAsync(tenant.TenantId, tenant.TenantId + " admin", cancellationToken);
        await output.WriteLineAsync($"tenant  {tenant.TenantId}");
        await output.WriteLineAsync($"token   {token}");
    }

    /// <summary>Writes one line per tenant: its id and name.</summary>
    public static async Task ListTenantsAsync(string database, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var store = await HubStore.OpenAsync(HubOptions.ConnectionStringFor(database), TimeProvider.System, cancellationToken);
        var tenants = await store.ListTenantsAsync(cancellationToken);
        var width = Math.Max("TENANT".Length, tenants.Max(t => t.TenantId.Length));
        await output.WriteLineAsync("TENANT".PadRight(width) + "  NAME");
        foreach (var tenant in tenants)
            await output.WriteLineAsync(tenant.TenantId.PadRight(width) + "  " + tenant.Name);
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
        var tenant = new Option<string>("--tenant") { Description = "the tenant the token acts in", DefaultValueFactory = _ => TenantIds.Default };
        var database = Database();
        var create = new Command("create", "create an API token for the REST API and print it (alone on stdout)") { name, tenant, database };
        create.SetAction(async (result, cancellationToken) =>
        {
            await CreateAdminTokenAsync(result.GetValue(database)!, result.GetValue(name)!, Console.Out, result.GetValue(tenant)!, cancellationToken);
            return 0;
        });

        var tenantName = new Argument<string>("name") { Description = "the tenant's name; its id is made of its letters and digits, e.g. \"Acme Retail\" → acme-retail" };
        var addDatabase = Database();
        var add = new Command("add", "create a tenant; prints its id and a first API token for its central IT") { tenantName, addDatabase };
        add.SetAction(async (result, cancellationToken) =>
        {
            await AddTenantAsync(result.GetValue(addDatabase)!, result.GetValue(tenantName)!, Console.Out, cancellationToken);
            return 0;
        });
        var listDatabase = Database();
        var list = new Command("list", "list the hub's tenants") { listDatabase };
        list.SetAction(async (result, cancellationToken) =>
        {
            await ListTenantsAsync(result.GetValue(listDatabase)!, Console.Out, cancellationToken);
            return 0;
        });

        var root = new RootCommand("EdgeMdm cloud hub: gRPC sync for sites, REST API for central IT.");
        root.Subcommands.Add(serve);
        root.Subcommands.Add(new Command("admin-token", "API tokens for the REST API") { create });
        root.Subcommands.Add(new Command("tenants", "the tenants the hub serves (an MSP's customers, business units)") { add, list });
        return root;
    }

    private static Option<string> Database() => new("--database")
    {
        Description = "connection string or directory of the hub (default: $EDGEMDM_Cloud__Database or ./data/cloud)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("EDGEMDM_Cloud__Database") ?? new HubOptions().Database,
    };
}
