using System.CommandLine;
using EdgeMdm.Cloud.Audit;
using EdgeMdm.Domain.Audit;

namespace EdgeMdm.Cloud.Accounts;

/// <summary><c>edgemdm-cloud admin-token create</c>: the hub operator's API tokens, made on the hub host.</summary>
public static class AdminTokenCommand
{
    internal static Command Create()
    {
        var name = new Option<string>("--name") { Description = "who or what the token is for (recorded as the creator of commands)", Required = true };
        var tenant = new Option<string>("--tenant") { Description = "the tenant the token acts in", DefaultValueFactory = _ => TenantIds.Default };
        var database = CliOptions.Database();
        var create = new Command("create", "create an API token for the REST API and print it (alone on stdout)") { name, tenant, database };
        create.SetAction(async (result, cancellationToken) =>
        {
            await CreateAdminTokenAsync(result.GetValue(database)!, result.GetValue(name)!, Console.Out, result.GetValue(tenant)!, cancellationToken);
            return 0;
        });
        return new Command("admin-token", "API tokens for the REST API") { create };
    }

    /// <summary>
    /// Creates an API token of <paramref name="tenantId"/> named <paramref name="name"/> in <paramref name="database"/>
    /// and writes it alone on a line; an unknown tenant throws <see cref="StoreConflictException"/>.
    /// </summary>
    public static async Task CreateAdminTokenAsync(
        string database, string name, TextWriter output, string tenantId = TenantIds.Default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var stores = await HubStorage.OpenAsync(
            HubOptions.ConnectionStringFor(database), TimeProvider.System, s => s.AddTenants().AddAccounts().AddAudit(), cancellationToken);
        var token = await stores.GetRequiredService<IAdminTokens>().CreateApiTokenAsync(tenantId, name, cancellationToken);
        await stores.GetRequiredService<IHubAudit>().RecordAsync(
            tenantId, new AuditEntry("operator:" + Environment.UserName, AuditActions.AdminToken, name, "edgemdm-cloud admin-token create", "an API token without expiry"), cancellationToken);
        await output.WriteLineAsync(token);
    }
}
