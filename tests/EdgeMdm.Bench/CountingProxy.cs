using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EdgeMdm.Bench;

/// <summary>
/// The uplink of the catch-up scenario: a TCP proxy on loopback between the appliance and the hub that is
/// either down (every connection reset at once, open ones cut: the WAN is gone) or up (bytes forwarded both
/// ways), and that counts the bytes it forwards in each direction. Listens only on 127.0.0.1 and forwards
/// only to the target it was given.
/// </summary>
internal sealed class CountingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Lock _gate = new();
    private readonly Task _accepting;
    private CancellationTokenSource _cutAll = new();
    private bool _up = true;
    private long _upstreamBytes;
    private long _downstreamBytes;
    private long _forwarded;
    private long _refused;
    private long _firstForwardedAt;

    public CountingProxy(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        _listener.Start();
        Url = new Uri("http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture));
        _accepting = AcceptAsync();
    }

    public Uri Url { get; }

    /// <summary>Bytes from the appliance to the hub since the last <see cref="ResetCounters"/>.</summary>
    public long UpstreamBytes => Interlocked.Read(ref _upstreamBytes);

    /// <summary>Bytes from the hub to the appliance since the last <see cref="ResetCounters"/>.</summary>
    public long DownstreamBytes => Interlocked.Read(ref _downstreamBytes);

    /// <summary>Connections forwarded since the last <see cref="ResetCounters"/>.</summary>
    public long ForwardedConnections => Interlocked.Read(ref _forwarded);

    /// <summary>Connections reset because the uplink was down, since the last <see cref="ResetCounters"/>.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refused);

    /// <summary>Stopwatch timestamp of the first connection forwarded since the last <see cref="ResetCounters"/>, or 0.</summary>
    public long FirstForwardedAt => Interlocked.Read(ref _firstForwardedAt);

    /// <summary>Up: forward. Down: reset new connections and cut the open ones.</summary>
    public bool Up
    {
        get => Volatile.Read(ref _up);
        set
        {
            CancellationTokenSource? old = null;
            lock (_gate)
            {
                _up = value;
                if (!value)
                {
                    old = _cutAll;
                    _cutAll = new CancellationTokenSource();
                }
            }

            // Going down cuts what is open; the connections still hold the old token, so it is cancelled, not disposed.
            old?.Cancel();
        }
    }

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _upstreamBytes, 0);
        Interlocked.Exchange(ref _downstreamBytes, 0);
        Interlocked.Exchange(ref _forwarded, 0);
        Interlocked.Exchange(ref _refused, 0);
        Interlocked.Exchange(ref _firstForwardedAt, 0);
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

            lock (_gate)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeAsync(client, _up, _cutAll.Token));
            }
        }
    }

    private async Task ServeAsync(Socket client, bool up, CancellationToken cut)
    {
        using var clientSocket = client;
        if (!up)
        {
            Interlocked.Increment(ref _refused);
            Reset(client);
            return;
        }

        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Reset(client);
            return;
        }

        Interlocked.Increment(ref _forwarded);
        Interlocked.CompareExchange(ref _firstForwardedAt, Stopwatch.GetTimestamp(), 0);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cut, _stop.Token);
        var upstream = PumpAsync(client, server, upstreamDirection: true, linked.Token);
        var downstream = PumpAsync(server, client, upstreamDirection: false, linked.Token);
        await Task.WhenAny(upstream, downstream);
        Reset(client);
        Reset(server);
        await linked.CancelAsync();
        await Task.WhenAll(upstream, downstream);
    }

    private async Task PumpAsync(Socket from, Socket to, bool upstreamDirection, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                    return;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
                Interlocked.Add(ref upstreamDirection ? ref _upstreamBytes : ref _downstreamBytes, read);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cut by us or by the other side: either way this direction is over.
        }
    }

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
