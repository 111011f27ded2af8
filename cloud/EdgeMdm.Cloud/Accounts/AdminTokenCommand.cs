using System.CommandLine;
using System.Globalization;
using EdgeMdm.Domain.Security;
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
        var role = new Option<string>("--role")
        {
            Description = "what the token may do: " + string.Join(", ", HubRoles.All),
            DefaultValueFactory = _ => HubRoles.TenantAdmin,
        };
        var sites = new Option<string[]>("--site") { Description = "a site a site-operator token is limited to (repeat for several)", AllowMultipleArgumentsPerToken = false };
        var days = new Option<int>("--valid-days")
        {
            Description = $"how many days the token is valid (at most {HubGrant.MaxTokenLifetime.TotalDays.ToString(CultureInfo.InvariantCulture)})",
            DefaultValueFactory = _ => (int)HubGrant.DefaultTokenLifetime.TotalDays,
        };
        var database = CliOptions.Database();
        var create = new Command("create", "create an API token for the REST API and print it (alone on stdout; its role and expiry on stderr)")
        {
            name, tenant, role, sites, days, database,
        };
        // A role, scope or lifetime out of bounds is refused by CreateAdminTokenAsync before the database is opened, as an
        // ArgumentException: one line, exit 2. (A command validator would read the options before their defaults apply.)
        create.SetAction(async (result, cancellationToken) =>
        {
            var grant = new HubGrant(result.GetValue(role)!, result.GetValue(sites) ?? []);
            await CreateAdminTokenAsync(
                result.GetValue(database)!, result.GetValue(name)!, Console.Out, result.GetValue(tenant)!,
                new AdminTokenRequest(grant, TimeSpan.FromDays(result.GetValue(days))) { Notes = Console.Error }, cancellationToken);
            return 0;
        });
        return new Command("admin-token", "API tokens for the REST API") { create };
    }

    /// <summary>
    /// Creates an API token of <paramref name="tenantId"/> named <paramref name="name"/> in <paramref name="database"/>
    /// and writes it alone on a line; <paramref name="request"/> null is a tenant admin's for the default lifetime.
    /// An unknown tenant throws <see cref="StoreConflictException"/>; a role, scope or lifetime out of bounds
    /// <see cref="ArgumentException"/>, before anything is written.
    /// </summary>
    public static async Task CreateAdminTokenAsync(
        string database, string name, TextWriter output, string tenantId = TenantIds.Default, AdminTokenRequest? request = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        request ??= new AdminTokenRequest(HubGrant.TenantAdmin, HubGrant.DefaultTokenLifetime);
        if (HubRoles.ScopeProblem(request.Grant.Role, request.Grant.Sites) is { } problem)
            throw new ArgumentException($"--role {request.Grant.Role}: {problem}", nameof(request));
        if (LifetimeProblem(request.Lifetime) is { } lifetimeProblem)
            throw new ArgumentException(lifetimeProblem, nameof(request));

        await using var stores = await HubStorage.OpenAsync(
            HubOptions.ConnectionStringFor(database), TimeProvider.System, s => s.AddTenants().AddAccounts().AddAudit(), cancellationToken);
        var token = await stores.GetRequiredService<IAdminTokens>().CreateApiTokenAsync(tenantId, name, request.Grant, request.Lifetime, cancellationToken);
        await stores.GetRequiredService<IHubAudit>().RecordAsync(
            tenantId,
            new AuditEntry("operator:" + Environment.UserName, AuditActions.AdminToken, name, "edgemdm-cloud admin-token create",
                $"an API token for {request.Grant.Role}, valid {request.Lifetime.TotalDays.ToString(CultureInfo.InvariantCulture)} days"),
            cancellationToken);
        await output.WriteLineAsync(token);
        if (request.Notes is { } notes)
        {
            var scope = request.Grant.Sites.Count > 0 ? $" at {string.Join(", ", request.Grant.Sites)}" : "";
            var until = (TimeProvider.System.GetUtcNow() + request.Lifetime).ToString("u", CultureInfo.InvariantCulture);
            await notes.WriteLineAsync($"{request.Grant.Role}{scope} in tenant {tenantId}, valid until {until}");
        }
    }

    private static string? LifetimeProblem(TimeSpan lifetime) => lifetime <= TimeSpan.Zero || lifetime > HubGrant.MaxTokenLifetime
        ? $"--valid-days must be 1 to {HubGrant.MaxTokenLifetime.TotalDays.ToString(CultureInfo.InvariantCulture)}"
        : null;
}

/// <summary>What an <c>admin-token create</c> token may do and for how long; <see cref="Notes"/> is told its role and expiry.</summary>
public sealed record AdminTokenRequest(HubGrant Grant, TimeSpan Lifetime)
{
    public TextWriter? Notes { get; init; }
}
