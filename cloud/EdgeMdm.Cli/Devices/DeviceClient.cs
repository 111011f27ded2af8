using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Devices;

/// <summary>The device calls kept beside the devices commands (as <c>Custody/CustodyClient</c>), over <see cref="HubClient"/>.</summary>
internal static class DeviceClient
{
    /// <summary>One device by id or serial (in <paramref name="siteId"/> when given); 404 for none, 409 naming the candidates for several.</summary>
    public static Task<HubDeviceDetail> GetDeviceAsync(this HubClient hub, string deviceIdOrSerial, string? siteId, CancellationToken cancellationToken)
    {
        var path = "api/v1/devices/" + Uri.EscapeDataString(deviceIdOrSerial) + (siteId is null ? "" : "?site=" + Uri.EscapeDataString(siteId));
        return hub.GetAsync(path, HubJson.Default.HubDeviceDetail, cancellationToken);
    }
}
