using System.CommandLine;

namespace EdgeMdm.Cloud.Tenants;

/// <summary><c>edgemdm-cloud tenants add|list</c>: the hub operator makes tenants on the hub host.</summary>
public static class TenantsCommand
{
    internal static Command Create()
    {
        var tenantName = new Argument<string>("name") { Description = "the tenant's name; its id is made of its letters and digits, e.g. \"Acme Retail\" → acme-retail" };
        var addDatabase = CliOptions.Database();
        var add = new Command("add", "create a tenant; prints its id and a first API token for its central IT") { tenantName, addDatabase };
        add.SetAction(async (result, cancellationToken) =>
        {
            await AddTenantAsync(result.GetValue(addDatabase)!, result.GetValue(tenantName)!, Console.Out, cancellationToken);
            return 0;
        });
        var listDatabase = CliOptions.Database();
        var list = new Command("list", "list the hub's tenants") { listDatabase };
        list.SetAction(async (result, cancellationToken) =>
        {
            await ListTenantsAsync(result.GetValue(listDatabase)!, Console.Out, cancellationToken);
            return 0;
        });
        return new Command("tenants", "the tenants the hub serves (an MSP's customers, business units)") { add, list };
    }

    /// <summary>
    /// Creates a tenant and a first API token for it (named "NAME admin"), so central IT of the new tenant can
    /// sign in and make accounts; writes "tenant ID" and "token T" lines.
    /// </summary>
    public static async Task AddTenantAsync(string database, string name, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(name);
        await using var stores = await OpenAsync(database, cancellationToken);
        var tenant = await stores.GetRequiredService<ITenantStore>().AddTenantAsync(name.Trim(), cancellationToken);
        var token = await stores.GetRequiredService<IAdminTokens>().CreateApiTokenAsync(tenant.TenantId, tenant.TenantId + " admin", cancellationToken: cancellationToken);
        await output.WriteLineAsync($"tenant  {tenant.TenantId}");
        await output.WriteLineAsync($"token   {token}");
    }

    /// <summary>Writes one line per tenant: its id and name.</summary>
    public static async Task ListTenantsAsync(string database, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var stores = await OpenAsync(database, cancellationToken);
        var tenants = await stores.GetRequiredService<ITenantStore>().ListTenantsAsync(cancellationToken);
        var width = Math.Max("TENANT".Length, tenants.Max(t => t.TenantId.Length));
        await output.WriteLineAsync("TENANT".PadRight(width) + "  NAME");
        foreach (var tenant in tenants)
            await output.WriteLineAsync(tenant.TenantId.PadRight(width) + "  " + tenant.Name);
    }

    private static Task<ServiceProvider> OpenAsync(string database, CancellationToken cancellationToken) =>
        HubStorage.OpenAsync(HubOptions.ConnectionStringFor(database), TimeProvider.System, s => s.AddTenants().AddAccounts(), cancellationToken);
}
