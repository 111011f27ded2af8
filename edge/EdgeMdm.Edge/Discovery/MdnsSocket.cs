using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace EdgeMdm.Edge.Discovery;

/// <summary>A datagram that came in, with the interface it arrived on (IP_PKTINFO / IPV6_PKTINFO).</summary>
internal readonly record struct MdnsDatagram(int Length, IPEndPoint Source, int InterfaceIndex);

/// <summary>
/// One UDP socket on port 5353 per address family for the whole responder: it joins the mDNS group (224.0.0.251,
/// ff02::fb) per served interface, receives with the arrival interface, and sends multicast out of a chosen
/// interface. SO_REUSEADDR lets it share the port with avahi or another responder on the same machine.
/// </summary>
internal sealed class MdnsSocket : IDisposable
{
    public const int Port = 5353;

    /// <summary>RFC 6762 §17: a packet is at most 9000 bytes.</summary>
    public const int MaxPacketBytes = 9000;

    private static readonly IPAddress GroupV4 = IPAddress.Parse("224.0.0.251");
    private static readonly IPAddress GroupV6 = IPAddress.Parse("ff02::fb");

    private readonly Socket _socket;
    private readonly IPEndPoint _group;
    private readonly ConcurrentDictionary<int, bool> _joined = new();

    // Choosing the outgoing interface and sending are two calls on one socket: sends take turns.
    private readonly SemaphoreSlim _sending = new(1, 1);

    /// <exception cref="SocketException">The family is not available, or the port cannot be bound.</exception>
    public MdnsSocket(AddressFamily family)
    {
        Family = family;
        var v6 = family == AddressFamily.InterNetworkV6;
        _group = new IPEndPoint(v6 ? GroupV6 : GroupV4, Port);
        _socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            var level = v6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP;
            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (v6)
                _socket.DualMode = false; // the IPv4 socket serves IPv4
            _socket.SetSocketOption(level, SocketOptionName.PacketInformation, true);

            // RFC 6762 §11: sent with IP TTL / hop limit 255, so a receiver can tell on-link packets by it.
            _socket.SetSocketOption(level, SocketOptionName.MulticastTimeToLive, 255);
            if (!v6)
                _socket.SetSocketOption(level, SocketOptionName.IpTimeToLive, 255);

            // Other responders and browsers on this machine hear our announcements too.
            _socket.SetSocketOption(level, SocketOptionName.MulticastLoopback, true);
            _socket.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, Port));
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public AddressFamily Family { get; }

    public bool HasJoined(int interfaceIndex) => _joined.ContainsKey(interfaceIndex);

    /// <exception cref="SocketException">The interface cannot join the group (gone, or without multicast).</exception>
    public void Join(int interfaceIndex)
    {
        if (Family == AddressFamily.InterNetworkV6)
            _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(_group.Address, interfaceIndex));
        else
            _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(_group.Address, interfaceIndex));
        _joined[interfaceIndex] = true;
    }

    public void Leave(int interfaceIndex)
    {
        if (!_joined.TryRemove(interfaceIndex, out _))
            return;
        try
        {
            if (Family == AddressFamily.InterNetworkV6)
                _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.DropMembership, new IPv6MulticastOption(_group.Address, interfaceIndex));
            else
                _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.DropMembership, new MulticastOption(_group.Address, interfaceIndex));
        }
        catch (SocketException)
        {
            // The interface is gone, and its membership with it.
        }
    }

    public async Task<MdnsDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var any = new IPEndPoint(Family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var received = await _socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, any, cancellationToken);
        return new MdnsDatagram(received.ReceivedBytes, (IPEndPoint)received.RemoteEndPoint, received.PacketInformation.Interface);
    }

    public async Task SendMulticastAsync(ReadOnlyMemory<byte> packet, int interfaceIndex, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            // IPv4 takes the index in network order (Linux then reads ip_mreqn's index); IPv6 takes it as it is.
            if (Family == AddressFamily.InterNetworkV6)
                _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, interfaceIndex);
            else
                _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(interfaceIndex));
            await _socket.SendToAsync(packet, SocketFlags.None, _group, cancellationToken);
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
