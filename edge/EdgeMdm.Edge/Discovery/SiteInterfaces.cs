using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace EdgeMdm.Edge.Discovery;

/// <summary>A network interface the responder serves, with the addresses its A/AAAA records give out there.</summary>
internal sealed record SiteInterface(int Index, string Name, IReadOnlyList<IPAddress> Addresses)
{
    public bool SameAs(SiteInterface other) =>
        Index == other.Index && string.Equals(Name, other.Name, StringComparison.Ordinal) && Addresses.SequenceEqual(other.Addresses);
}

/// <summary>What a network interface looks like to the choice, read from the system by <see cref="SiteInterfaces.Current"/>.</summary>
internal sealed record InterfaceState(int Index, string Name, bool IsUp, bool SupportsMulticast, IReadOnlyList<IPAddress> Addresses);

internal static class SiteInterfaces
{
    /// <summary>
    /// The interfaces to serve: those named in <paramref name="configured"/>, or with none named every interface that is
    /// up and multicast-capable. An interface needs an IPv4 address, since the responder speaks mDNS over IPv4.
    /// </summary>
    public static IReadOnlyList<SiteInterface> Choose(IEnumerable<InterfaceState> candidates, IReadOnlyCollection<string> configured) =>
        candidates
            .Where(nic => configured.Count == 0 || configured.Contains(nic.Name, StringComparer.Ordinal))
            .Where(nic => nic.IsUp && nic.SupportsMulticast)
            .Where(nic => nic.Addresses.Any(address => address.AddressFamily == AddressFamily.InterNetwork))
            .Select(nic => new SiteInterface(nic.Index, nic.Name, nic.Addresses))
            .OrderBy(nic => nic.Index)
            .ToList();

    /// <summary>
    /// The interfaces, and their addresses, on which Kestrel can be reached: all of them when it listens on a wildcard
    /// (<paramref name="listening"/> null), else only the listening addresses each carries. An interface left with none
    /// is dropped, so the appliance never announces a port where nothing answers (a loopback-only <c>--urls</c> is
    /// announced on loopback alone).
    /// </summary>
    public static IReadOnlyList<SiteInterface> Reachable(IReadOnlyList<SiteInterface> interfaces, IReadOnlySet<IPAddress>? listening) =>
        listening is null
            ? interfaces
            : interfaces
                .Select(nic => nic with { Addresses = nic.Addresses.Where(listening.Contains).ToList() })
                .Where(nic => nic.Addresses.Any(address => address.AddressFamily == AddressFamily.InterNetwork))
                .ToList();

    /// <summary>
    /// The addresses Kestrel listens on, from its URLs; null when any URL listens on every address (0.0.0.0, [::], *,
    /// +, or a host name other than localhost, which Kestrel binds to every address too).
    /// </summary>
    public static IReadOnlySet<IPAddress>? ListeningAddresses(IEnumerable<string> urls)
    {
        var addresses = new HashSet<IPAddress>();
        foreach (var url in urls)
        {
            var host = url.Split("://", 2) is [_, var rest] ? rest.Split('/')[0] : url;
            host = host.StartsWith('[') ? host[1..host.IndexOf(']', StringComparison.Ordinal)] : host.Split(':')[0];
            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                addresses.Add(IPAddress.Loopback);
                addresses.Add(IPAddress.IPv6Loopback);
            }
            else if (IPAddress.TryParse(host, out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
            {
                addresses.Add(address);
            }
            else
            {
                return null;
            }
        }

        return addresses;
    }

    /// <summary>The system's interfaces now. Linux reports loopback's state as Unknown, which counts as up.</summary>
    public static IEnumerable<InterfaceState> Current()
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            IPInterfaceProperties properties;
            int index;
            try
            {
                properties = nic.GetIPProperties();
                index = properties.GetIPv4Properties()?.Index ?? -1;
            }
            catch (NetworkInformationException)
            {
                continue; // gone between listing and reading, or without IPv4
            }

            if (index < 0)
                continue;
            var addresses = properties.UnicastAddresses
                .Select(unicast => unicast.Address)
                .Where(address => address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .OrderBy(address => address.AddressFamily)
                .ThenBy(address => address.ToString(), StringComparer.Ordinal)
                .ToList();
            yield return new InterfaceState(
                index, nic.Name, nic.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown, nic.SupportsMulticast, addresses);
        }
    }
}
