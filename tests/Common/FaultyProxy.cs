using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EdgeMdm.Testing;

/// <summary>How the proxy treats the uplink at the moment.</summary>
internal enum UplinkFault
{
    /// <summary>Bytes flow both ways.</summary>
    None,

    /// <summary>Every connection is reset after a random number of bytes (somewhere inside a frame, a batch, an ack).</summary>
    CutAtRandom,

    /// <summary>Connections are accepted but no byte is forwarded: a stalled link, the worst case for timeouts.</summary>
    Stall,

    /// <summary>New connections are reset at once and open ones are cut: the WAN is down.</summary>
    Down,
}

/// <summary>
/// A TCP proxy on loopback between the appliance and the hub that cuts and stalls connections on demand, for
/// the partition tests. Only ever listens on 127.0.0.1 and only forwards to the target it was given (which
/// a test may move, as a load balancer moves a client between hub replicas).
/// </summary>
internal sealed class FaultyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Dictionary<Uri, long> _connectionsTo = [];
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Lock _gate = new();
    private readonly Task _accepting;
    private CancellationTokenSource _cutAll = new();
    private UplinkFault _fault;
    private long _cuts;
    private long _upstreamBytes;
    private long _downstreamBytes;
    private long _forwarded;
    private long _refused;
    private long _firstForwardedAt;
    private Uri _targetUrl;
    private IPEndPoint _target;

    public FaultyProxy(Uri target, int seed)
    {
        ArgumentNullException.ThrowIfNull(target);
        _targetUrl = target;
        _target = Endpoint(target);
        _random = new Random(seed);
        _listener.Start();
        Url = new Uri("http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture));
        _accepting = AcceptAsync();
    }

    public Uri Url { get; }

    /// <summary>Connections the proxy has reset so far.</summary>
    public long Cuts => Interlocked.Read(ref _cuts);

    /// <summary>Bytes forwarded from the appliance to the hub since the last <see cref="ResetCounters"/>.</summary>
    public long UpstreamBytes => Interlocked.Read(ref _upstreamBytes);

    /// <summary>Bytes forwarded from the hub to the appliance since the last <see cref="ResetCounters"/>.</summary>
    public long DownstreamBytes => Interlocked.Read(ref _downstreamBytes);

    /// <summary>Connections forwarded since the last <see cref="ResetCounters"/>.</summary>
    public long ForwardedConnections => Interlocked.Read(ref _forwarded);

    /// <summary>Connections reset at once because the uplink was <see cref="UplinkFault.Down"/>, since the last <see cref="ResetCounters"/>.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refused);

    /// <summary>Stopwatch timestamp of the first connection forwarded since the last <see cref="ResetCounters"/>, or 0.</summary>
    public long FirstForwardedAt => Interlocked.Read(ref _firstForwardedAt);

    /// <summary>Zeroes the byte and connection counters (not <see cref="Cuts"/>), e.g. just before a measured window.</summary>
    public void ResetCounters()
    {
        Interlocked.Exchange(ref _upstreamBytes, 0);
        Interlocked.Exchange(ref _downstreamBytes, 0);
        Interlocked.Exchange(ref _forwarded, 0);
        Interlocked.Exchange(ref _refused, 0);
        Interlocked.Exchange(ref _firstForwardedAt, 0);
    }

    /// <summary>
    /// Where new connections are forwarded. Setting it moves the uplink: connections open to the old target
    /// are cut (as when a load balancer drains a replica), and the next ones reach the new target.
    /// </summary>
    public Uri Target
    {
        get
        {
            lock (_gate)
                return _targetUrl;
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var endpoint = Endpoint(value);
            CancellationTokenSource old;
            lock (_gate)
            {
                _targetUrl = value;
                _target = endpoint;
                old = _cutAll;
                _cutAll = new CancellationTokenSource();
            }

            // Open connections still hold the old token: cancelled, never disposed under them.
            old.Cancel();
        }
    }

    /// <summary>Connections the proxy forwarded to <paramref name="target"/> (connected to it) so far.</summary>
    public long ConnectionsTo(Uri target)
    {
        lock (_gate)
            return _connectionsTo.GetValueOrDefault(target);
    }

    public UplinkFault Fault
    {
        get => _fault;
        set
        {
            CancellationTokenSource old;
            lock (_gate)
            {
                _fault = value;
                old = _cutAll;
                _cutAll = new CancellationTokenSource();
            }

            // A change of weather ends the connections that lived under the old one.
            old.Cancel();
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            CancellationToken cut;
            UplinkFault fault;
            int budget;
            lock (_gate)
            {
                cut = _cutAll.Token;
                fault = _fault;
                budget = _random.Next(200, 256 * 1024);
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeAsync(client, fault, budget, _targetUrl, _target, cut));
            }
        }
    }

    private async Task ServeAsync(Socket client, UplinkFault fault, int budget, Uri targetUrl, IPEndPoint target, CancellationToken cut)
    {
        using var clientSocket = client;
        if (fault == UplinkFault.Down)
        {
            Interlocked.Increment(ref _cuts);
            Interlocked.Increment(ref _refused);
            Reset(client);
            return;
        }

        // No Nagle delay: the proxy must not add latency of its own to small frames (acks, pings).
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(target, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Reset(client);
            return;
        }

        lock (_gate)
            _connectionsTo[targetUrl] = _connectionsTo.GetValueOrDefault(targetUrl) + 1;
        Interlocked.Increment(ref _forwarded);
        Interlocked.CompareExchange(ref _firstForwardedAt, Stopwatch.GetTimestamp(), 0);

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cut, _stop.Token);
        var remaining = fault == UplinkFault.CutAtRandom ? budget : long.MaxValue;
        var upstream = PumpAsync(client, server, fault, upstreamDirection: true, () => Interlocked.Add(ref remaining, 0), n => Interlocked.Add(ref remaining, -n), linked.Token);
        var downstream = PumpAsync(server, client, fault, upstreamDirection: false, () => Interlocked.Add(ref remaining, 0), n => Interlocked.Add(ref remaining, -n), linked.Token);
        await Task.WhenAny(upstream, downstream);
        if (cut.IsCancellationRequested)
            Interlocked.Increment(ref _cuts);
        Reset(client);
        Reset(server);
        await linked.CancelAsync();
        await Task.WhenAll(upstream.ContinueWith(_ => { }, TaskScheduler.Default), downstream.ContinueWith(_ => { }, TaskScheduler.Default));
    }

    private async Task PumpAsync(Socket from, Socket to, UplinkFault fault, bool upstreamDirection, Func<long> remaining, Action<int> spend, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            if (fault == UplinkFault.Stall)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return;
            }

            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                    return;
                var allowed = (int)Math.Min(read, Math.Max(0, remaining()));
                if (allowed > 0)
                {
                    await to.SendAsync(buffer.AsMemory(0, allowed), SocketFlags.None, cancellationToken);
                    Interlocked.Add(ref upstreamDirection ? ref _upstreamBytes : ref _downstreamBytes, allowed);
                }

                spend(read);
                if (allowed < read)
                {
                    Interlocked.Increment(ref _cuts);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cut by us or by the other side: either way this direction is over.
        }
    }

    private static IPEndPoint Endpoint(Uri target) => new(IPAddress.Parse(target.Host), target.Port);

    /// <summary>Closes with RST, not FIN: the peer sees a broken connection, as when a link drops.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] open;
        lock (_gate)
            open = [.. _connections];
        await Task.WhenAll(open);
        _stop.Dispose();
        _cutAll.Dispose();
    }
}
