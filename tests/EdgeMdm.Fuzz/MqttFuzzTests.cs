using System.Net.Sockets;
using System.Text;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Tests;
using MQTTnet;
using MQTTnet.Formatter;

namespace EdgeMdm.Fuzz;

/// <summary>
/// Raw bytes to the embedded broker's TCP port, as anyone on the site network can send them: each connection ends
/// (closed by the broker once the sender stops), and afterwards the broker still logs in a real device, takes its
/// subscription and delivers it a wake. The seeds are a device's real login followed by a subscribe, a publish and a
/// ping, so edits reach the packets after CONNECT as well as CONNECT itself.
/// </summary>
public sealed class MqttFuzzTests : IAsyncLifetime
{
    private static readonly TimeSpan ClosedWithin = TimeSpan.FromSeconds(10);
    private EdgeServer _server = null!;
    private EnrollResponse _device = null!;

    public async Task InitializeAsync()
    {
        _server = await EdgeServer.StartAsync("--Edge:Mqtt:ListenPlain", "127.0.0.1:0", "--Edge:Mqtt:ConnectTimeoutSeconds", "2");
        _device = await _server.EnrollAsync("FZ-MQTT");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Broker_ends_every_hostile_connection_and_keeps_serving_devices()
    {
        var login = Connect(_device.DeviceId, _device.DeviceSecret);
        byte[] subscribe = Packet(0x82, [0x00, 0x01, .. Utf8(MqttTopics.WakeTopic(_device.DeviceId)), 0x00]);
        byte[] publish = Packet(0x30, [.. Utf8("edgemdm/cradles/x/slots/1"), .. "{}"u8]);
        byte[] ping = [0xC0, 0x00];
        byte[][] seeds = [login, [.. login, .. subscribe, .. ping], [.. login, .. publish, .. subscribe], [.. login, .. ping, 0xE0, 0x00]];

        await Fuzzing.RunAsync(Inputs.Hostile(seeds, maxRandomLength: 300), SendAndAwaitCloseAsync, shortPass: 150, Fuzzing.Print);
        foreach (var (_, bytes) in Corpus.Entries("mqtt"))
            await SendAndAwaitCloseAsync(bytes);

        await AssertDeviceIsWokenAsync();
    }

    /// <summary>Writes the bytes, stops sending, and waits for the broker to close its side (EOF or reset).</summary>
    private async Task SendAndAwaitCloseAsync(byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.Broker.BoundEndPoints.Single());
        try
        {
            await socket.SendAsync(bytes);
            socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(ClosedWithin);
            var buffer = new byte[1024];
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
                // Whatever the broker answers (CONNACK, SUBACK, PINGRESP) before it closes.
            }
        }
        catch (SocketException)
        {
            // Reset by the broker while we wrote or read: closed too.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the broker kept a connection open {ClosedWithin.TotalSeconds} s after the client stopped sending");
        }
    }

    private async Task AssertDeviceIsWokenAsync()
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var woken = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += message =>
        {
            woken.TrySetResult(message.ApplicationMessage.Topic);
            return Task.CompletedTask;
        };
        var connected = await client.ConnectAsync(
            _server.BrokerClient().WithClientId(_device.DeviceId).WithCredentials(_device.DeviceId, _device.DeviceSecret).WithProtocolVersion(MqttProtocolVersion.V311).Build(),
            CancellationToken.None);
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        await client.SubscribeAsync(MqttTopics.WakeTopic(_device.DeviceId));

        await _server.QueueCommandAsync(_device.DeviceId, "ring");

        Assert.Equal(MqttTopics.WakeTopic(_device.DeviceId), await woken.Task.WaitAsync(ClosedWithin));
    }

    /// <summary>An MQTT 3.1.1 CONNECT: clean session, user name and password, keep-alive 60 s.</summary>
    private static byte[] Connect(string user, string password) =>
        Packet(0x10, [.. Utf8("MQTT"), 0x04, 0xC2, 0x00, 0x3C, .. Utf8(user), .. Utf8(user), .. Utf8(password)]);

    private static byte[] Packet(byte header, byte[] body)
    {
        var length = new List<byte>();
        var remaining = body.Length;
        do
        {
            var digit = (byte)(remaining % 128);
            remaining /= 128;
            length.Add(remaining > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (remaining > 0);
        return [header, .. length, .. body];
    }

    /// <summary>An MQTT string: two length bytes, then UTF-8.</summary>
    private static byte[] Utf8(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return [(byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
    }
}
