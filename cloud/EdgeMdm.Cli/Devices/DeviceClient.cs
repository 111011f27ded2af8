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

/// <summary>The approval calls kept beside the commands commands, over <see cref="HubClient"/>.</summary>
internal static class ApprovalClient
{
    /// <summary>The requests waiting for a second person (<paramref name="all"/>: approved and expired ones too).</summary>
    public static async Task<IReadOnlyList<HubApproval>> ListApprovalsAsync(this HubClient hub, bool all, CancellationToken cancellationToken) =>
        await hub.SendAsync(HttpMethod.Get, all ? "api/v1/approvals?all=true" : "api/v1/approvals", null, HubJson.Default.ListHubApproval, cancellationToken);

    /// <summary>Approves another person's request: the hub queues its commands and answers the request with their ids.</summary>
    public static Task<HubApproval> ApproveAsync(this HubClient hub, string approvalId, CancellationToken cancellationToken) =>
        hub.SendAsync(HttpMethod.Post, "api/v1/approvals/" + Uri.EscapeDataString(approvalId) + "/approve", null, HubJson.Default.HubApproval, cancellationToken);
}
