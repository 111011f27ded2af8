using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Bytes nobody's client would send, written on raw sockets to the embedded broker (inside TLS, as a site serves it,
/// with the site key pinned): each connection must be closed by the broker within a bounded time, without the broker
/// allocating what a packet declares, and the broker must go on serving real clients.
/// </summary>
public sealed class MqttHostileInputTests : IAsyncLifetime
{
    private const int ConnectTimeoutSeconds = 2;
    private static readonly TimeSpan ClosedWithin = TimeSpan.FromSeconds(ConnectTimeoutSeconds + 8);
    private EdgeServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await EdgeServer.StartAsync("--mqtt-listen", "127.0.0.1:0", "--Edge:Mqtt:ConnectTimeoutSeconds", ConnectTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private IPEndPoint Broker => _server.Broker.BoundEndPoints.Single();

    [Fact]
    public async Task First_packet_that_is_not_connect_is_disconnected()
    {
        // PUBLISH QoS 0, topic "a", payload "x".
        await AssertClosedAfterAsync([0x30, 0x04, 0x00, 0x01, (byte)'a', (byte)'x']);
        Assert.Equal(1, _server.MqttCounters.MalformedDropped);
    }

    [Fact]
    public async Task Declared_hundred_megabytes_is_disconnected_without_being_allocated()
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        // Five connections each declaring a 100,000,000-byte CONNECT, then a little of it.
        var attacks = Enumerable.Range(0, 5).Select(_ => AssertClosedAfterAsync([0x10, 0x80, 0xC2, 0xD7, 0x2F, .. new byte[1000]]));
        await Task.WhenAll(attacks);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.True(allocated < 50_000_000, $"the broker allocated {allocated} bytes for 5 declarations of 100 MB");
        Assert.Equal(5, _server.MqttCounters.MalformedDropped);
    }

    [Fact]
    public async Task Declared_length_over_the_packet_limit_after_connect_is_disconnected()
    {
        var device = await _server.EnrollAsync("S-BIG");
        // PUBLISH declaring 10 MB, over the 64 KiB default.
        await AssertClosedAfterAsync([.. Connect311(device.DeviceId, device.DeviceSecret), 0x30, 0x80, 0xAD, 0xE2, 0x04, 0x00, 0x01, (byte)'a'], expectConnAck: true);
    }

    [Fact]
    public async Task Truncated_connect_followed_by_a_close_is_disconnected()
    {
        var connect = Connect311("dev-x", "secret");
        await AssertClosedAfterAsync(connect[..(connect.Length / 2)], halfClose: true);
    }

    [Fact]
    public async Task Truncated_connect_that_stalls_is_disconnected_after_the_connect_timeout()
    {
        var connect = Connect311("dev-x", "secret");
        await AssertClosedAfterAsync(connect[..(connect.Length / 2)]);
    }

    [Fact]
    public async Task Publish_with_qos_3_is_disconnected()
    {
        var device = await _server.EnrollAsync("S-QOS3");
        // PUBLISH with both QoS bits set (0x36): topic "a", packet id 1, payload "x".
        await AssertClosedAfterAsync([.. Connect311(device.DeviceId, device.DeviceSecret), 0x36, 0x06, 0x00, 0x01, (byte)'a', 0x00, 0x01, (byte)'x'], expectConnAck: true);
    }

    [Fact]
    public async Task Connect_with_an_unknown_property_is_disconnected()
    {
        var device = await _server.EnrollAsync("S-PROPS");
        await AssertClosedAfterAsync(Connect5(device.DeviceId, device.DeviceSecret, properties: [0x7F, 0x00, 0x01]));
    }

    [Fact]
    public async Task Broker_still_serves_real_clients_after_hostile_connections()
    {
        await AssertClosedAfterAsync([0x10, 0x80, 0xC2, 0xD7, 0x2F]);
        await AssertClosedAfterAsync([0xF0, 0x00]);
        var device = await _server.EnrollAsync("S-AFTER");
        using var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(
            _server.BrokerClient().WithClientId(device.DeviceId)
                .WithCredentials(device.DeviceId, device.DeviceSecret).WithProtocolVersion(MqttProtocolVersion.V311).Build(),
            CancellationToken.None);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
    }

    [Fact]
    public async Task Plain_mqtt_on_the_tls_port_is_dropped_in_the_handshake()
    {
        var device = await _server.EnrollAsync("S-PLAIN-ON-TLS");
        await AssertClosedAfterAsync(Connect311(device.DeviceId, device.DeviceSecret), tls: false);
        Assert.Equal(1, _server.MqttCounters.TlsHandshakesFailed);
        Assert.Equal(0, _server.MqttCounters.LoginsAccepted);
    }

    [Fact]
    public async Task Connection_that_never_starts_its_handshake_is_closed_after_the_connect_timeout()
    {
        await AssertClosedAfterAsync([], tls: false);
        Assert.Equal(1, _server.MqttCounters.TlsHandshakesFailed);
    }

    /// <summary>
    /// Writes the bytes (inside TLS unless <paramref name="tls"/> is false) and asserts the broker closes the connection
    /// (EOF or reset) within <see cref="ClosedWithin"/>.
    /// </summary>
    private async Task AssertClosedAfterAsync(byte[] bytes, bool halfClose = false, bool expectConnAck = false, bool tls = true)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Broker);
        await using var stream = tls ? await SecureAsync(socket) : new NetworkStream(socket);
        try
        {
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
            if (halfClose)
            {
                if (stream is SslStream secured)
                    await secured.ShutdownAsync();
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception exception) when (exception is SocketException or IOException)
        {
            // The broker closed the connection while we were still writing: what we want.
            return;
        }

        using var timeout = new CancellationTokenSource(ClosedWithin);
        var buffer = new byte[256];
        var received = new List<byte>();
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                    break;
                received.AddRange(buffer.AsSpan(0, read));
            }
        }
        catch (Exception exception) when (exception is SocketException or IOException)
        {
            // Reset by the broker: closed too.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the broker kept the connection open for {ClosedWithin.TotalSeconds} s");
        }

        if (expectConnAck)
            Assert.True(received.Count >= 4 && received[0] == 0x20 && received[3] == 0x00, "the login itself should have succeeded (CONNACK 0)");
    }

    /// <summary>The client side of the TLS handshake, accepting the site's key and no other, as a device does.</summary>
    private async Task<Stream> SecureAsync(Socket socket)
    {
        var pin = _server.TlsPin;
        var secured = new SslStream(new NetworkStream(socket), leaveInnerStreamOpen: false);
        await secured.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            RemoteCertificateValidationCallback = (_, certificate, _, _) => EdgeMdm.Discovery.Service.TlsPin.Matches(certificate, pin),
        });
        return secured;
    }

    private static byte[] Connect311(string user, string password)
    {
        var body = new List<byte> { 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0xC2, 0x00, 0x3C };
        AddString(body, user);
        AddString(body, user);
        AddString(body, password);
        return [0x10, .. RemainingLength(body.Count), .. body];
    }

    private static byte[] Connect5(string user, string password, byte[] properties)
    {
        var body = new List<byte> { 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x05, 0xC2, 0x00, 0x3C };
        body.AddRange(RemainingLength(properties.Length));
        body.AddRange(properties);
        AddString(body, user);
        AddString(body, user);
        AddString(body, password);
        return [0x10, .. RemainingLength(body.Count), .. body];
    }

    private static void AddString(List<byte> body, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        body.Add((byte)(bytes.Length >> 8));
        body.Add((byte)bytes.Length);
        body.AddRange(bytes);
    }

    private static byte[] RemainingLength(int length)
    {
        var bytes = new List<byte>();
        do
        {
            var digit = (byte)(length % 128);
            length /= 128;
            bytes.Add(length > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (length > 0);
        return [.. bytes];
    }
}
