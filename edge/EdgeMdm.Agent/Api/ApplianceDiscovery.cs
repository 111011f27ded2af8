using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;

namespace EdgeMdm.Agent;

/// <summary>
/// Finds the site appliance on the local network by mDNS / DNS-SD when no URL is configured: a one-shot browse for
/// <c>_edgemdm._tcp.local</c> sent to 224.0.0.251:5353, out of every multicast interface, from an ephemeral port (so avahi or another responder on the
/// device keeps port 5353), repeated every second until an appliance answers completely or time runs out.
/// </summary>
public static class ApplianceDiscovery
{
    private static readonly IPEndPoint Group = new(IPAddress.Parse("224.0.0.251"), MdnsResponder.MdnsPort);
    private static readonly TimeSpan Resend = TimeSpan.FromSeconds(1);

    /// <returns>The first appliance that answered completely, or null when none did within <paramref name="timeout"/>.</returns>
    public static async Task<DiscoveredAppliance?> FindAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        var id = (ushort)Random.Shared.Next(1, ushort.MaxValue + 1);
        var query = DnsMessageWriter.Write(ApplianceBrowser.BrowseQuery(id));
        var buffer = new byte[9000];
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        overall.CancelAfter(timeout);
        try
        {
            while (true)
            {
                await SendOnEveryInterfaceAsync(socket, query, overall.Token);
                using var round = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                round.CancelAfter(Resend);
                try
                {
                    while (true)
                    {
                        var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), round.Token);

                        // A legacy unicast answer echoes our id (RFC 6762 §6.7); anything else is not for us.
                        if (DnsMessageReader.Read(buffer.AsSpan(0, received.ReceivedBytes)).Message is { } answer && answer.Id == id
                            && ApplianceBrowser.Resolve(answer) is [var appliance, ..])
                            return appliance;
                    }
                }
                catch (OperationCanceledException) when (!overall.IsCancellationRequested)
                {
                    // Nothing complete this round: ask again.
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// The query goes out of every interface that is up and multicast-capable with an IPv4 address, not only the one
    /// the routing table would pick: a device on Wi-Fi and a docking cradle's Ethernet asks on both.
    /// </summary>
    private static async Task SendOnEveryInterfaceAsync(Socket socket, byte[] query, CancellationToken cancellationToken)
    {
        var sent = false;
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown) || !nic.SupportsMulticast
                || nic.GetIPProperties().GetIPv4Properties() is not { } ipv4
                || !nic.GetIPProperties().UnicastAddresses.Any(unicast => unicast.Address.AddressFamily == AddressFamily.InterNetwork))
                continue;
            try
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(ipv4.Index));
                await socket.SendToAsync(query, SocketFlags.None, Group, cancellationToken);
                sent = true;
            }
            catch (SocketException)
            {
                // This interface cannot send multicast now; the others may.
            }
        }

        if (!sent)
        {
            // No interface qualified, or none could send: let the routing table choose.
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, 0);
            await socket.SendToAsync(query, SocketFlags.None, Group, cancellationToken);
        }
    }
}
