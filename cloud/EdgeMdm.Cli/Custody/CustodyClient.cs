using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Custody;

/// <summary>The hub's custody calls (<c>GET /api/v1/sites/{id}/custody</c> and <c>.../custody/verify</c>).</summary>
internal static class CustodyClient
{
    /// <summary>A site's custody events as the hub stores them, of one device (id or serial) or battery, in a period.</summary>
    public static async Task<IReadOnlyList<HubCustodyEvent>> ListCustodyAsync(
        this HubClient hub, string siteId, string? device, string? from, string? to, CancellationToken cancellationToken)
    {
        var query = string.Join("&", new[] { ("device", device), ("from", from), ("to", to) }
            .Where(p => p.Item2 is not null).Select(p => p.Item1 + "=" + Uri.EscapeDataString(p.Item2!)));
        var path = $"api/v1/sites/{Uri.EscapeDataString(siteId)}/custody" + (query.Length == 0 ? "" : "?" + query);
        return await hub.GetAsync(path, HubJson.Default.ListHubCustodyEvent, cancellationToken);
    }

    /// <summary>The hub's verification of a site's chains of custody (or one device's or battery's) over what it stores.</summary>
    public static Task<HubCustodyVerification> VerifyCustodyAsync(this HubClient hub, string siteId, string? device, CancellationToken cancellationToken) =>
        hub.GetAsync(
            $"api/v1/sites/{Uri.EscapeDataString(siteId)}/custody/verify" + (device is null ? "" : "?device=" + Uri.EscapeDataString(device)),
            HubJson.Default.HubCustodyVerification,
            cancellationToken);
}
