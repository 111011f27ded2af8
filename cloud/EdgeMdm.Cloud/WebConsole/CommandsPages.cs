using EdgeMdm.Cloud.WebConsole.Pages;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// The commands the list found (<see cref="ICommandStore.ListCommandsAsync"/>, newest first) for its filters (null: any),
/// with the tenant's site names; <paramref name="Error"/> says what was wrong with a filter.
/// </summary>
public sealed record ConsoleCommandList(
    string? Site, string? Device, string? Status, CommandList Found, IReadOnlyDictionary<string, string> SiteNames, string? Error = null);

/// <summary>Recent commands across every site of the tenant, with their status and result (<c>/commands</c>).</summary>
internal static class CommandsPages
{
    /// <summary>The most rows the list shows.</summary>
    public const int Shown = 200;

    public static void Map(RouteGroupBuilder pages) => pages.MapGet("/commands", ListAsync);

    private static async Task<IResult> ListAsync(
        string? site, string? status, string? device, HttpContext http, ISiteRegistry sites, ICommandStore commands, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        (site, status, device) = (ConsoleDeviceSearch.Blank(site), ConsoleDeviceSearch.Blank(status), ConsoleDeviceSearch.Blank(device));
        var siteNames = (await sites.ListSitesAsync(tenant, ct)).ToDictionary(s => s.SiteId, s => s.Name, StringComparer.Ordinal);
        if (site is not null && !siteNames.ContainsKey(site))
            return ConsoleRefusals.NotFound(http, $"There is no site '{site}' in your tenant.");
        if (status is not null && !CommandStatuses.All.Contains(status, StringComparer.Ordinal))
        {
            var none = new ConsoleCommandList(site, device, null, new CommandList([], 0), siteNames, $"There is no command status '{status}': a command is {string.Join(", ", CommandStatuses.All)}.");
            return ConsolePages.RenderWithStatus<CommandsPage>(http, StatusCodes.Status400BadRequest, ("List", none));
        }

        var found = await commands.ListCommandsAsync(tenant, new CommandQuery(site, device, status, Shown), ct);
        return ConsolePages.Render<CommandsPage>(http, ("List", new ConsoleCommandList(site, device, status, found, siteNames)));
    }
}
