using EdgeMdm.Cloud.WebConsole.Pages;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// The device search's filters as its form sends them (GET): free text (part of a serial or a device id, any case), a
/// site, a group, a lifecycle state and a compliance (as <see cref="ComplianceClassifier.Names"/>); null is any.
/// </summary>
public sealed record ConsoleDeviceSearch(string? Text, string? Site, string? Group, string? State, string? Compliance)
{
    /// <summary>The filters the store's rows answer by themselves (all but compliance, which is judged at read time).</summary>
    public bool MatchesStored(DeviceRecord device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return (Group is null || string.Equals(device.Group, Group, StringComparison.Ordinal))
            && (State is null || string.Equals(device.State, State, StringComparison.OrdinalIgnoreCase))
            && (Text is null || device.Serial.Contains(Text, StringComparison.OrdinalIgnoreCase) || device.DeviceId.Contains(Text, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The compliance filter, over a device as <see cref="DeviceViews"/> gives it.</summary>
    public bool MatchesCompliance(DeviceRecord device) =>
        Compliance is null || string.Equals(device?.Compliance, Compliance, StringComparison.Ordinal);

    /// <summary>The link that keeps these filters (the list's address), with <c>site</c> as given.</summary>
    public string Query() => string.Join("&", new[] { ("q", Text), ("site", Site), ("group", Group), ("state", State), ("compliance", Compliance) }
        .Where(p => p.Item2 is not null)
        .Select(p => p.Item1 + "=" + Uri.EscapeDataString(p.Item2!)));

    internal static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>
/// The devices the search found, the first <see cref="DevicesPages.Shown"/> of <paramref name="Total"/>; the tenant's
/// sites (id to name) and groups, for the form's choices.
/// </summary>
public sealed record ConsoleDeviceList(
    ConsoleDeviceSearch Search, IReadOnlyList<DeviceRecord> Devices, int Total, IReadOnlyDictionary<string, string> SiteNames, IReadOnlyList<string> Groups)
{
    /// <summary>The lifecycle states the form offers.</summary>
    public static IReadOnlyList<string> States { get; } = Enum.GetNames<DeviceState>();
}

/// <summary>The device search across every site of the tenant (<c>/devices</c>), as the REST device list reads devices.</summary>
internal static class DevicesPages
{
    /// <summary>The most rows the list shows; the filters narrow a bigger fleet down.</summary>
    public const int Shown = 500;

    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/devices", ListAsync);
        DevicePages.Map(pages);
    }

    private static async Task<IResult> ListAsync(
        string? q, string? site, string? group, string? state, string? compliance, HttpContext http, ISiteRegistry sites, IFleetReadStore fleet,
        DeviceViews views, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        var search = new ConsoleDeviceSearch(
            ConsoleDeviceSearch.Blank(q), ConsoleDeviceSearch.Blank(site), ConsoleDeviceSearch.Blank(group), ConsoleDeviceSearch.Blank(state), ConsoleDeviceSearch.Blank(compliance));
        var siteNames = (await sites.ListSitesAsync(tenant, ct)).ToDictionary(s => s.SiteId, s => s.Name, StringComparer.Ordinal);
        if (search.Site is { } named && !siteNames.ContainsKey(named))
            return ConsoleRefusals.NotFound(http, $"There is no site '{named}' in your tenant.");

        var devices = await fleet.ListDevicesAsync(tenant, search.Site, ct);
        // Judged after the cheap filters: compliance reads each report, the others only the row.
        var found = (await views.ViewsAsync(tenant, devices.Where(search.MatchesStored).ToList(), ct)).Where(search.MatchesCompliance).ToList();
        var groups = devices.Select(d => d.Group).Where(g => g.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return ConsolePages.Render<DevicesPage>(http, ("List", new ConsoleDeviceList(search, found.Take(Shown).ToList(), found.Count, siteNames, groups)));
    }
}
