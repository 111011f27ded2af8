using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Server;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// The broker's TCP listener, in place of MQTTnet's own: it binds exactly the configured endpoints (MQTTnet's default
/// endpoint listens on every address), and every connection's bytes pass through <see cref="MqttFraming"/> before
/// MQTTnet decodes them, so a hostile first packet or an oversized declared length ends the connection before
/// anything is allocated for it. A TLS listener completes the handshake first (within the connect timeout) and
/// checks the decrypted bytes. Past <see cref="MqttLimits.MaxConnections"/> open connections, a new one is closed as it
/// is accepted, before a TLS handshake or a byte is read (<paramref name="onOverCapacity"/>).
/// </summary>
/// <param name="serverContext">
/// The context of the certificate a TLS listener presents, asked on every handshake so a renewed one is served from the
/// next connection on without a restart (made once per certificate: <see cref="SiteTls.SiteCertificates.ServerContext"/>);
/// null when no listener is TLS.
/// </param>
internal sealed class GuardedTcpServerAdapter(
    IReadOnlyList<MqttListener> listeners,
    MqttLimits limits,
    Func<SslStreamCertificateContext>? serverContext,
    Action<EndPoint?, string> onViolation,
    Action<EndPoint?, string> onHandshakeFailed,
    Action<EndPoint?> onOverCapacity)
    : IMqttServerAdapter, IDisposable
{
    private const int ConnectionBacklog = 4096;

    private readonly List<Socket> _listeners = [];
    private readonly CancellationTokenSource _stopping = new();

    private int _open;

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    /// <summary>Where the listeners are bound once started (the real port when 0 was asked for), TLS ones first.</summary>
    public IReadOnlyList<MqttListener> Bound { get; private set; } = [];

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var bound = new List<MqttListener>();
        foreach (var (endpoint, tls) in listeners)
        {
            if (tls && serverContext is null)
                throw new InvalidOperationException("a TLS listener needs a server certificate");
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
                    socket.DualMode = false;
                socket.Bind(endpoint);
                // Room for a whole floor reconnecting at once after a restart (the kernel caps it at somaxconn).
                socket.Listen(ConnectionBacklog);
            }
            catch (SocketException exception)
            {
                socket.Dispose();
                throw new IOException($"the MQTT broker cannot listen on {endpoint}: {exception.Message}", exception);
            }

            _listeners.Add(socket);
            bound.Add(new MqttListener((IPEndPoint)socket.LocalEndPoint!, tls));
            _ = Task.Run(() => AcceptAsync(socket, tls, options, logger));
        }

        Bound = bound;
        return Task.CompletedTask;
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        foreach (var listener in _listeners)
            listener.Dispose();
        _listeners.Clear();
    }

    public void Dispose()
    {
        foreach (var listener in _listeners)
            listener.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptAsync(Socket listener, bool tls, MqttServerOptions options, IMqttNetLogger logger)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // A connection reset before it was accepted; the listener itself is fine.
                continue;
            }

            if (Interlocked.Increment(ref _open) > limits.MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                onOverCapacity(client.RemoteEndPoint);
                client.Dispose();
                continue;
            }

            _ = Task.Run(() => ServeAsync(client, tls, listener.LocalEndPoint, options, logger));
        }
    }

    private async Task ServeAsync(Socket client, bool tls, EndPoint? local, MqttServerOptions options, IMqttNetLogger logger)
    {
        var remote = client.RemoteEndPoint;
        try
        {
            client.NoDelay = true;
            Stream transport = new NetworkStream(client, ownsSocket: true);
            if (tls)
            {
                var secured = await HandshakeAsync(transport, remote, options.DefaultCommunicationTimeout);
                if (secured is null)
                    return;
                transport = secured;
            }

            var framing = new MqttFraming(limits.MaxConnectBytes, limits.MaxPacketBytes);
            await using var stream = new FramingGuardStream(transport, framing, why => onViolation(remote, why));
            if (ClientHandler is not { } handler)
                return;
            var channel = new MqttTcpChannel(stream, local, remote, null);
            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
            using var adapter = new MqttChannelAdapter(channel, formatter, logger);
            await handler(adapter);
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or broke the protocol; the broker has already let go of it.
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _open);
        }
    }

    /// <summary>
    /// The server side of the TLS handshake, bounded by the connect timeout (a client that opens a connection and says
    /// nothing holds no more than a socket for that long); null, with the reason reported, when it fails.
    /// </summary>
    private async Task<SslStream?> HandshakeAsync(Stream transport, EndPoint? remote, TimeSpan timeout)
    {
        var secured = new SslStream(transport, leaveInnerStreamOpen: false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(timeout);
        try
        {
            await secured.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = serverContext!(),
                    ClientCertificateRequired = false,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                },
                deadline.Token);
            return secured;
        }
        catch (Exception exception) when (exception is AuthenticationException or IOException or OperationCanceledException)
        {
            onHandshakeFailed(remote, exception is OperationCanceledException ? "no TLS handshake within " + timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s" : exception.Message);
            await secured.DisposeAsync();
            return null;
        }
    }
}

/// <summary>One listening endpoint of the broker and whether it speaks TLS.</summary>
internal sealed record MqttListener(IPEndPoint EndPoint, bool Tls)
{
    /// <summary><c>mqtts://127.0.0.1:8883</c> or <c>mqtt://[::]:1883</c>.</summary>
    public override string ToString() => (Tls ? "mqtts://" : "mqtt://") + EndPoint;
}

/// <summary>Size limits the listener enforces before MQTTnet reads a packet.</summary>
/// <param name="MaxConnectBytes">Largest CONNECT accepted (credentials, will message).</param>
/// <param name="MaxPacketBytes">Largest packet after CONNECT.</param>
/// <param name="MaxConnections">Connections open at once, over every listener.</param>
internal sealed record MqttLimits(int MaxConnectBytes, int MaxPacketBytes, int MaxConnections);

/// <summary>
/// A client's stream as MQTTnet reads it, with every byte read shown to <see cref="MqttFraming"/> first. On a
/// violation it reports once and then reads as closed, so MQTTnet drops the connection as if the client had left.
/// </summary>
internal sealed class FramingGuardStream(Stream inner, MqttFraming framing, Action<string> onViolation) : Stream
{
    private bool _reported;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (framing.Violation is not null)
            return 0;
        var read = inner.Read(buffer);
        return Checked(buffer[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (framing.Violation is not null)
            return 0;
        var read = await inner.ReadAsync(buffer, cancellationToken);
        return Checked(buffer.Span[..read]);
    }

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    private int Checked(ReadOnlySpan<byte> read)
    {
        if (read.Length == 0 || framing.Accept(read))
            return read.Length;
        if (!_reported)
        {
            _reported = true;
            onViolation(framing.Violation!);
        }

        return 0;
    }
}
