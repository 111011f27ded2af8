using System.Net;
using System.Net.Sockets;
using EdgeMdm.Discovery.Dns;

namespace EdgeMdm.Discovery.Service;

/// <summary>
/// The appliance as a DNS-SD service (RFC 6763): instance <c>{InstanceName}._edgemdm._tcp.local</c> on
/// <see cref="HostName"/>:<see cref="Port"/>, whose TXT record tells a device which site it found, where the device
/// API lives and, when the appliance serves TLS, which certificate to pin.
/// </summary>
/// <param name="InstanceName">One label, shown to people: the site's name.</param>
/// <param name="ApiBasePath">Path of the device API's root under the host and port, "/" by default.</param>
/// <param name="TlsSpkiSha256">Lower-case hex SHA-256 of the SubjectPublicKeyInfo of the appliance's TLS certificate (<see cref="TlsPin"/>); null over plain HTTP.</param>
public sealed record EdgeMdmService(
    string InstanceName,
    DnsName HostName,
    ushort Port,
    string SiteId,
    string ApiBasePath,
    string Version,
    string? TlsSpkiSha256)
{
    public static readonly DnsName ServiceType = DnsName.Parse("_edgemdm._tcp.local");

    /// <summary>DNS-SD service type enumeration (RFC 6763 §9): lets generic browsers list our type.</summary>
    public static readonly DnsName ServiceTypeEnumeration = DnsName.Parse("_services._dns-sd._udp.local");

    /// <summary>TXT keys (RFC 6763 §6.4: short, at most 9 characters).</summary>
    public const string TxtVersionKey = "txtvers";
    public const string SiteKey = "site";
    public const string PathKey = "path";
    public const string VersionKey = "version";
    public const string FingerprintKey = "tlsspki";

    /// <summary>RFC 6762 §10: records naming a host (SRV, A, AAAA) live 120 s, the others 75 minutes.</summary>
    public const uint HostRecordTtl = 120;
    public const uint OtherRecordTtl = 4500;

    public DnsName InstanceFullName => ServiceType.Prepend(InstanceName);

    public TxtRecordData Txt
    {
        get
        {
            List<KeyValuePair<string, string>> attributes =
            [
                new(TxtVersionKey, "1"),
                new(SiteKey, SiteId),
                new(PathKey, ApiBasePath),
                new(VersionKey, Version),
            ];
            if (TlsSpkiSha256 is { } fingerprint)
                attributes.Add(new(FingerprintKey, fingerprint));
            return TxtRecordData.FromAttributes(attributes);
        }
    }

    /// <summary>PTR from the service type to this instance; shared: other appliances answer it too.</summary>
    public DnsResourceRecord InstancePointer(uint ttl) =>
        new(ServiceType, DnsRecordType.NamePointer, DnsClass.Internet, CacheFlush: false, ttl, new PtrRecordData(InstanceFullName));

    public static DnsResourceRecord TypePointer(uint ttl) =>
        new(ServiceTypeEnumeration, DnsRecordType.NamePointer, DnsClass.Internet, CacheFlush: false, ttl, new PtrRecordData(ServiceType));

    public DnsResourceRecord ServiceLocation(uint ttl) =>
        new(InstanceFullName, DnsRecordType.Srv, DnsClass.Internet, CacheFlush: true, ttl, new SrvRecordData(0, 0, Port, HostName));

    public DnsResourceRecord Attributes(uint ttl) =>
        new(InstanceFullName, DnsRecordType.Txt, DnsClass.Internet, CacheFlush: true, ttl, Txt);

    public DnsResourceRecord Address(IPAddress address, uint ttl) =>
        new(HostName, address.AddressFamily == AddressFamily.InterNetworkV6 ? DnsRecordType.Aaaa : DnsRecordType.A,
            DnsClass.Internet, CacheFlush: true, ttl, new AddressRecordData(address));
}
