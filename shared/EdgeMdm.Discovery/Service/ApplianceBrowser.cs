using System.Net.Sockets;
using EdgeMdm.Discovery.Dns;

namespace EdgeMdm.Discovery.Service;

/// <summary>
/// An appliance a device found: where its device API is and, when it serves TLS, the certificate to pin.
/// </summary>
/// <param name="BaseUrl">http(s)://address:port/path/ — https exactly when the TXT record carries a fingerprint.</param>
public sealed record DiscoveredAppliance(string InstanceName, string SiteId, Uri BaseUrl, string? TlsSpkiSha256, string? Version);

/// <summary>
/// The device's side of DNS-SD for <c>_edgemdm._tcp.local</c>, free of sockets: the browse query and the reading of
/// answers into appliances. The query is a one-shot query (RFC 6762 §5.1) sent from an ephemeral port, so responders
/// answer it by unicast with the PTR and, as additional records, the SRV, TXT and addresses in one packet.
/// </summary>
public static class ApplianceBrowser
{
    public static DnsMessage BrowseQuery(ushort id) =>
        new(id, DnsHeaderBits.None, [new DnsQuestion(EdgeMdmService.ServiceType, DnsRecordType.NamePointer)], [], [], []);

    /// <summary>
    /// The appliances a response describes completely (PTR, SRV, TXT with a site, an IPv4 address for the SRV target);
    /// instances with a part missing are left out, as are goodbyes (TTL 0).
    /// </summary>
    public static IReadOnlyList<DiscoveredAppliance> Resolve(DnsMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsResponse)
            return [];
        var records = response.Answers.Concat(response.Additionals).Where(record => record.Ttl > 0).ToList();
        var found = new List<DiscoveredAppliance>();
        var instances = records
            .Where(record => record.Name.Equals(EdgeMdmService.ServiceType))
            .Select(record => record.Data)
            .OfType<PtrRecordData>()
            .Select(pointer => pointer.Target)
            .Distinct();
        foreach (var instance in instances)
        {
            var location = records.Where(r => r.Name.Equals(instance)).Select(r => r.Data).OfType<SrvRecordData>().FirstOrDefault();
            var attributes = records.Where(r => r.Name.Equals(instance)).Select(r => r.Data).OfType<TxtRecordData>().FirstOrDefault();
            if (location is null || attributes?.Value(EdgeMdmService.SiteKey) is not { Length: > 0 } siteId)
                continue;
            var address = records
                .Where(r => r.Name.Equals(location.Target))
                .Select(r => r.Data)
                .OfType<AddressRecordData>()
                .Select(a => a.Address)
                .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
            if (address is null)
                continue;

            var fingerprint = attributes.Value(EdgeMdmService.FingerprintKey) is { Length: > 0 } hex ? hex.ToLowerInvariant() : null;
            var path = attributes.Value(EdgeMdmService.PathKey) is { Length: > 0 } p && p.StartsWith('/') ? p : "/";
            var scheme = fingerprint is null ? Uri.UriSchemeHttp : Uri.UriSchemeHttps;
            var url = new UriBuilder(scheme, address.ToString(), location.Port, path.EndsWith('/') ? path : path + "/").Uri;
            found.Add(new DiscoveredAppliance(instance.Labels[0], siteId, url, fingerprint, attributes.Value(EdgeMdmService.VersionKey)));
        }

        return found;
    }
}
