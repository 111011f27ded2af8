using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Drift;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>
/// The devices the sites reported, as central IT reads them: lists with each device's compliance (compliant,
/// non-compliant, unknown, stale: <see cref="ComplianceClassifier"/>, with <c>Cloud:DeviceStaleAfter</c>), the key app's
/// version and the dock state; one device by id or serial; compliance per site.
/// </summary>
internal static class DeviceApi
{
    public static RouteGroupBuilder MapDeviceApi(this RouteGroupBuilder api)
    {
        api.MapGet("/devices", ListDevicesAsync).RequireAuthorization(HubAuthorization.Read).SiteInQuery();
        api.MapGet("/devices/{device}", ShowDeviceAsync).RequireAuthorization(HubAuthorization.Read).SiteInQuery();
        api.MapGet("/compliance", ComplianceAsync).RequireAuthorization(HubAuthorization.Read);
        return api;
    }

    /// <summary>422 for a command type the device agent does not know (<see cref="DeviceCommandTypes"/>), naming the ones it does.</summary>
    public static IResult UnknownCommandType(string type) => ProblemResults.Create(
        StatusCodes.Status422UnprocessableEntity,
        "Unknown command type",
        $"the device agent does not know the command type '{type}'; known types: {string.Join(", ", DeviceCommandTypes.All)}");

    /// <summary>
    /// The one device <paramref name="deviceIdOrSerial"/> names (in <paramref name="siteId"/> when given): 404 when none,
    /// 409 naming the candidates (site and device id of each) when several. With <paramref name="unknownAtSiteIsKept"/>
    /// and a site, none is no refusal: (null, null).
    /// </summary>
    public static async Task<(DeviceRecord? Device, IResult? Refusal)> ResolveAsync(
        IFleetReadStore fleet, string tenant, string deviceIdOrSerial, string? siteId, bool unknownAtSiteIsKept, CancellationToken ct)
    {
        var found = (await fleet.FindDeviceAsync(tenant, deviceIdOrSerial, ct))
            .Where(d => siteId is null || string.Equals(d.SiteId, siteId, StringComparison.Ordinal))
            .ToList();
        if (found.Count == 1)
            return (found[0], null);
        if (found.Count > 1)
        {
            var candidates = string.Join(", ", found.Select(d => $"{d.DeviceId} (serial {d.Serial}) at {d.SiteId}"));
            return (null, Problems.Conflict($"'{deviceIdOrSerial}' names {found.Count} devices: {candidates}; give siteId (--site) or the device id"));
        }

        if (siteId is not null && unknownAtSiteIsKept)
            return (null, null);
        return (null, Problems.NotFound(siteId is null
            ? $"the hub knows no device '{deviceIdOrSerial}' (by id or serial); give its siteId to queue a command anyway"
            : $"the hub knows no device '{deviceIdOrSerial}' (by id or serial) at site '{siteId}'"));
    }

    private static async Task<IResult> ListDevicesAsync(
        string? site, HttpContext http, ISiteRegistry sites, IFleetReadStore fleet, DeviceViews devices, CancellationToken ct)
    {
        var tenant = HubApi.Tenant(http);
        if (site is not null && !await sites.SiteExistsAsync(tenant, site, ct))
            return Problems.NoSite(site);
        var views = await devices.ViewsAsync(tenant, await fleet.ListDevicesAsync(tenant, site, ct), ct);
        return TypedResults.Json(views.ToList(), ApiJson.Default.ListDeviceRecord);
    }

    /// <summary>GET /api/v1/devices/{device}?site=: one device by id or serial, with its findings and lifecycle history.</summary>
    private static async Task<IResult> ShowDeviceAsync(
        string device, string? site, HttpContext http, IFleetReadStore fleet, DeviceViews devices, CancellationToken ct)
    {
        var tenant = HubApi.Tenant(http);
        var (found, refusal) = await ResolveAsync(fleet, tenant, device, site, unknownAtSiteIsKept: false, ct);
        if (refusal is not null)
            return refusal;
        var view = (await devices.ViewsAsync(tenant, [found!], ct))[0];
        var history = await fleet.ListTransitionsAsync(tenant, found!.SiteId, found.DeviceId, ct);
        return TypedResults.Json(new DeviceDetailView(view, history), ApiJson.Default.DeviceDetailView);
    }

    /// <summary>GET /api/v1/compliance: per site, how many devices are compliant, non-compliant, unknown and stale.</summary>
    private static async Task<IResult> ComplianceAsync(HttpContext http, IFleetReadStore fleet, TimeProvider time, IOptions<HubOptions> options, CancellationToken ct)
    {
        var staleAfter = options.Value.DeviceStaleAfter;
        var sites = await fleet.ComplianceAsync(HubApi.Tenant(http), time.GetUtcNow(), staleAfter, ct);
        return TypedResults.Json(new FleetCompliance((long)staleAfter.TotalSeconds, sites), ApiJson.Default.FleetCompliance);
    }
}

/// <summary>One device with its lifecycle history (site sequence order).</summary>
public sealed record DeviceDetailView(DeviceRecord Device, IReadOnlyList<TransitionRecord> History);

/// <summary>Compliance per site at the hub's stale window (<c>Cloud:DeviceStaleAfter</c>, in seconds).</summary>
public sealed record FleetCompliance(long StaleAfterSeconds, IReadOnlyList<SiteCompliance> Sites);
