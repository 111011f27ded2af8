using System.Net;
using System.Net.Sockets;

namespace EdgeMdm.Edge.Discovery;

/// <summary>A datagram that came in, with the interface it arrived on (IP_PKTINFO).</summary>
internal readonly record struct MdnsDatagram(int Length, IPEndPoint Source, int InterfaceIndex);

/// <summary>
/// One IPv4 UDP socket on port 5353 for the whole responder: it joins 224.0.0.251 per served interface, receives
/// with the arrival interface, and sends multicast out of a chosen interface. SO_REUSEADDR lets it share the port
/// with avahi or another responder on the same machine.
/// </summary>
internal sealed class MdnsSocket : IDisposable
{
    public static readonly IPAddress Group = IPAddress.Parse("224.0.0.251");
    public const int Port = 5353;

    /// <summary>RFC 6762 §17: a packet is at most 9000 bytes.</summary>
    public const int MaxPacketBytes = 9000;

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    // Choosing the outgoing interface and sending are two calls on one socket: sends take turns.
    private readonly SemaphoreSlim _sending = new(1, 1);

    public MdnsSocket()
    {
        try
        {
            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);

            // RFC 6762 §11: sent with IP TTL 255, so a receiver can tell on-link packets by it.
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, 255);

            // Other responders and browsers on this machine hear our announcements too.
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
            _socket.Bind(new IPEndPoint(IPAddress.Any, Port));
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    /// <exception cref="SocketException">The interface cannot join the group (gone, or without multicast).</exception>
    public void Join(int interfaceIndex) =>
        _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(Group, interfaceIndex));

    public void Leave(int interfaceIndex)
    {
        try
        {
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.DropMembership, new MulticastOption(Group, interfaceIndex));
        }
        catch (SocketException)
        {
            // The interface is gone, and its membership with it.
        }
    }

    public async Task<MdnsDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var received = await _socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
        return new MdnsDatagram(received.ReceivedBytes, (IPEndPoint)received.RemoteEndPoint, received.PacketInformation.Interface);
    }

    public async Task SendMulticastAsync(ReadOnlyMemory<byte> packet, int interfaceIndex, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            // An interface index, not an address, in network order: Linux then takes it as ip_mreqn's index.
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(interfaceIndex));
            await _socket.SendToAsync(packet, SocketFlags.None, new IPEndPoint(Group, Port), cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    public async Task SendUnicastAsync(ReadOnlyMemory<byte> packet, IPEndPoint destination, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendToAsync(packet, SocketFlags.None, destination, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _sending.Dispose();
    }
}
