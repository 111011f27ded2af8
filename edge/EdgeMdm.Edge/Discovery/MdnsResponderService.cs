using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;
using EdgeMdm.Edge.Site;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Discovery;

/// <summary>
/// The appliance's mDNS responder (RFC 6762) for <c>_edgemdm._tcp.local</c>: announces on the site interfaces once
/// Kestrel listens, answers multicast, QU and legacy unicast queries with the addresses of the interface the query
/// came in on, announces again when addresses or the site change, and says goodbye on stop. Decisions are
/// <see cref="MdnsQueryHandler"/>'s; this class only moves packets. A bad packet, and a unicast reply past its source's
/// rate, is counted (<see cref="MdnsCounters"/>) and dropped.
/// </summary>
internal sealed partial class MdnsResponderService(
    IOptions<MdnsOptions> options,
    ISiteIdentity sites,
    IServer server,
    IHostApplicationLifetime lifetime,
    IConfiguration configuration,
    IServiceProvider services,
    TimeProvider clock,
    MdnsCounters counters,
    ILogger<MdnsResponderService> logger) : BackgroundService
{
    /// <summary>How often interfaces and the site are looked at again, besides on the system's change events.</summary>
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(5);

    /// <summary>RFC 6762 §8.3: at least two announcements, one second apart.</summary>
    private static readonly TimeSpan AnnouncementSpacing = TimeSpan.FromSeconds(1);

    private readonly MdnsOptions _options = options.Value;
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly List<MdnsSocket> _sockets = [];

    // Only the watcher touches it.
    private readonly HashSet<int> _ipv6JoinFailures = [];
    private volatile ServedState _state = ServedState.Nothing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
            return;

        // The advertised port is Kestrel's real one, known only once it listens (port 0 in tests).
        if (!await StartedAsync(stoppingToken))
            return;
        try
        {
            _sockets.Add(new MdnsSocket(AddressFamily.InterNetwork));
        }
        catch (SocketException e)
        {
            Log.SocketUnavailable(logger, "IPv4", MdnsSocket.Port, e.Message);
            return;
        }

        // IPv6 is a bonus: a host without it is served over IPv4 alone.
        try
        {
            _sockets.Add(new MdnsSocket(AddressFamily.InterNetworkV6));
        }
        catch (SocketException e)
        {
            Log.SocketUnavailable(logger, "IPv6", MdnsSocket.Port, e.Message);
        }

        NetworkChange.NetworkAddressChanged += OnAddressChanged;
        try
        {
            await Task.WhenAll(_sockets.Select(socket => AnswerAsync(socket, stoppingToken)).Prepend(WatchAsync(stoppingToken)));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the goodbye follows in StopAsync.
        }
        finally
        {
            NetworkChange.NetworkAddressChanged -= OnAddressChanged;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_sockets.Count == 0 || _state is not { Responder: { } responder } state)
            return;
        await MulticastAsync(state.Interfaces.Values, nic => responder.Goodbye(nic.Addresses), cancellationToken);
        Log.Goodbye(logger, state.Interfaces.Count);
    }

    public override void Dispose()
    {
        base.Dispose();
        foreach (var socket in _sockets)
            socket.Dispose();
        _changed.Dispose();
    }

    private async Task<bool> StartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void OnAddressChanged(object? sender, EventArgs e)
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A look is already due.
        }
    }

    /// <summary>Keeps interfaces and the advertised service current, sending what <see cref="RefreshPlan"/> says.</summary>
    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            var previous = _state;
            ServedState next;
            try
            {
                next = new ServedState(Responder(previous.Responder), ServedInterfaces(previous.Interfaces));
            }
            catch (Exception e) when (e is NetworkInformationException or SQLite.SQLiteException or CryptographicException or IOException or UnauthorizedAccessException)
            {
                // Discovery is a convenience: a failed look keeps what is served and never takes the appliance down.
                Log.RefreshFailed(logger, e.Message);
                next = previous;
            }

            _state = next;

            var plan = RefreshPlan.Between(previous, next);
            if (plan.GoodbyeFrom is { } leaving)
                await MulticastAsync(plan.GoodbyeOn, nic => leaving.Goodbye(nic.Addresses), stoppingToken);
            if (plan.AnnounceWith is { } responder && plan.AnnounceOn.Count > 0)
            {
                var names = string.Join(", ", plan.AnnounceOn.Select(nic => nic.Name));
                Log.Announcing(logger, responder.Service.InstanceFullName, responder.Service.Port, names);
                _ = AnnounceAsync(responder, plan.AnnounceOn, stoppingToken);
            }

            using var recheck = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            recheck.CancelAfter(RecheckInterval);
            try
            {
                await _changed.WaitAsync(recheck.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Time for the periodic look.
            }
        }
    }

    private async Task AnnounceAsync(MdnsResponder responder, IReadOnlyList<SiteInterface> interfaces, CancellationToken stoppingToken)
    {
        try
        {
            for (var round = 0; round < 2; round++)
            {
                if (round > 0)
                    await Task.Delay(AnnouncementSpacing, clock, stoppingToken);
                await MulticastAsync(interfaces, nic => responder.Announcement(nic.Addresses), stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private MdnsResponder? Responder(MdnsResponder? current)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var service = ServiceAdvertisement.For(sites.Site(), _options, addresses, 
            // The site certificates are made only when first needed: here, when the appliance serves https.
            () => ServiceAdvertisement.ServedPin(configuration, () => services.GetRequiredService<SiteTls.SiteCertificates>().Pin));
        if (service is null)
        {
            if (current is null && logger.IsEnabled(LogLevel.Warning))
                Log.NothingToAdvertise(logger, string.Join(", ", addresses));
            return null;
        }

        return current is not null && current.Service.Equals(service) ? current : new MdnsResponder(service);
    }

    /// <summary>Sends each interface its message on every socket that joined the group there.</summary>
    private async Task MulticastAsync(IEnumerable<SiteInterface> interfaces, Func<SiteInterface, DnsMessage> message, CancellationToken cancellationToken)
    {
        foreach (var nic in interfaces)
        {
            var packet = DnsMessageWriter.Write(message(nic));
            foreach (var socket in _sockets.Where(socket => socket.HasJoined(nic.Index)))
                await SendQuietlyAsync(() => socket.SendMulticastAsync(packet, nic.Index, cancellationToken), nic);
        }
    }

    private Dictionary<int, SiteInterface> ServedInterfaces(IReadOnlyDictionary<int, SiteInterface> previous)
    {
        var listening = SiteInterfaces.ListeningAddresses(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
        var chosen = SiteInterfaces.Reachable(SiteInterfaces.Choose(SiteInterfaces.Current(), _options.Interfaces.ToList()), listening);
        var served = new Dictionary<int, SiteInterface>();
        foreach (var nic in chosen)
        {
            if (!_sockets[0].HasJoined(nic.Index))
            {
                try
                {
                    _sockets[0].Join(nic.Index);
                }
                catch (SocketException e)
                {
                    Log.JoinFailed(logger, "224.0.0.251", nic.Name, e.Message);
                    continue;
                }
            }

            // Also on later looks: an IPv6 link-local address appears a moment after the link comes up.
            JoinIPv6(nic);
            served[nic.Index] = nic;
        }

        foreach (var gone in previous.Keys.Where(index => !served.ContainsKey(index)))
        {
            foreach (var socket in _sockets)
                socket.Leave(gone);
        }

        if (served.Count == 0 && previous.Count == 0 && _state.Responder is null && logger.IsEnabled(LogLevel.Warning))
            Log.NoInterfaces(logger, _options.Interfaces.Count == 0 ? "(any up, multicast-capable)" : string.Join(", ", _options.Interfaces));
        return served;
    }

    /// <summary>On an interface with an IPv6 address, the IPv6 socket joins ff02::fb too; failing that, IPv4 serves it.</summary>
    private void JoinIPv6(SiteInterface nic)
    {
        if (_sockets.Find(socket => socket.Family == AddressFamily.InterNetworkV6) is not { } v6 || v6.HasJoined(nic.Index)
            || !nic.Addresses.Any(address => address.AddressFamily == AddressFamily.InterNetworkV6))
            return;
        try
        {
            v6.Join(nic.Index);
            _ipv6JoinFailures.Remove(nic.Index);
        }
        catch (SocketException e)
        {
            // Tried again at every look; said once.
            if (_ipv6JoinFailures.Add(nic.Index))
                Log.JoinFailed(logger, "ff02::fb", nic.Name, e.Message);
        }
    }

    private async Task AnswerAsync(MdnsSocket socket, CancellationToken stoppingToken)
    {
        var buffer = new byte[MdnsSocket.MaxPacketBytes];
        var handler = new MdnsQueryHandler(_options.UnicastRepliesPerSecondPerSource);
        while (true)
        {
            MdnsDatagram datagram;
            try
            {
                datagram = await socket.ReceiveAsync(buffer, stoppingToken);
            }
            catch (SocketException e)
            {
                // ICMP port unreachable from an earlier unicast reply and the like: the socket itself is fine.
                Log.ReceiveFailed(logger, e.SocketErrorCode);
                continue;
            }

            var state = _state;
            if (state.Responder is not { } responder || !state.Interfaces.TryGetValue(datagram.InterfaceIndex, out var nic))
                continue;
            var handled = handler.Handle(responder, buffer.AsSpan(0, datagram.Length), datagram.Source, nic.Index, nic.Addresses, clock.GetUtcNow());
            if (handled.Problem is { } problem)
                CountBadPacket(datagram, problem);
            if (handled.Limited)
                counters.UnicastLimitedOne();
            if (handled.Packet is not { } packet)
                continue;
            await SendQuietlyAsync(
                () => handled.Destination == ReplyDestination.Multicast
                    ? socket.SendMulticastAsync(packet, nic.Index, stoppingToken)
                    : socket.SendUnicastAsync(packet, datagram.Source, stoppingToken),
                nic);
        }
    }

    private void CountBadPacket(MdnsDatagram datagram, string problem)
    {
        var count = counters.BadPacket();
        Log.BadPacket(logger, datagram.Source, problem, count);
    }

    /// <summary>A send that fails (interface going down, no route) is logged; the responder carries on.</summary>
    private async Task SendQuietlyAsync(Func<Task> send, SiteInterface nic)
    {
        try
        {
            await send();
        }
        catch (SocketException e)
        {
            Log.SendFailed(logger, nic.Name, e.SocketErrorCode);
        }
    }

    /// <summary>Event ids 1600–1699 belong to discovery.</summary>
    private static partial class Log
    {
        [LoggerMessage(EventId = 1600, Level = LogLevel.Information, Message = "mDNS: announcing {Instance} on port {Port} on {Interfaces}")]
        public static partial void Announcing(ILogger logger, DnsName instance, int port, string interfaces);

        [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "mDNS: goodbye sent on {Count} interfaces")]
        public static partial void Goodbye(ILogger logger, int count);

        [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "mDNS: UDP port {Port} unavailable over {Family} ({Reason})")]
        public static partial void SocketUnavailable(ILogger logger, string family, int port, string reason);

        [LoggerMessage(EventId = 1603, Level = LogLevel.Warning, Message = "mDNS: no interface to serve among {Interfaces}; will look again")]
        public static partial void NoInterfaces(ILogger logger, string interfaces);

        [LoggerMessage(EventId = 1604, Level = LogLevel.Warning, Message = "mDNS: cannot join {Group} on {Interface}: {Reason}")]
        public static partial void JoinFailed(ILogger logger, string group, string @interface, string reason);

        [LoggerMessage(EventId = 1605, Level = LogLevel.Warning, Message = "mDNS: nothing to advertise: Kestrel listens on no http(s) URL ({Addresses})")]
        public static partial void NothingToAdvertise(ILogger logger, string addresses);

        [LoggerMessage(EventId = 1606, Level = LogLevel.Debug, Message = "mDNS: dropped a bad packet from {Source}: {Problem} ({Count} so far)")]
        public static partial void BadPacket(ILogger logger, System.Net.IPEndPoint source, string problem, long count);

        [LoggerMessage(EventId = 1607, Level = LogLevel.Debug, Message = "mDNS: send on {Interface} failed: {Error}")]
        public static partial void SendFailed(ILogger logger, string @interface, SocketError error);

        [LoggerMessage(EventId = 1609, Level = LogLevel.Warning, Message = "mDNS: could not look at interfaces or the site again: {Reason}")]
        public static partial void RefreshFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1608, Level = LogLevel.Debug, Message = "mDNS: receive failed: {Error}")]
        public static partial void ReceiveFailed(ILogger logger, SocketError error);
    }
}
