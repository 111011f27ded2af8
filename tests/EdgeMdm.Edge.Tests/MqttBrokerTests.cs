using System.Net.Sockets;
using System.Text;
using EdgeMdm.Domain.Lifecycle;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeMdm.Edge.Tests;

/// <summary>The embedded broker through real MQTT clients (MQTTnet's) on loopback: logins, the topic ACL, wakes.</summary>
public sealed partial class MqttBrokerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const string VehicleToken = "test-vehicle-token-0001";
    private EdgeServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await EdgeServer.StartAsync("--mqtt-listen", "127.0.0.1:0");
        await _server.Get<EdgeStorage>().WriteAsync(unit =>
        {
            _server.Get<ITokenStore>().Import(unit, VehicleToken, "vehicle-mounts", 10, _server.Clock.GetUtcNow().AddDays(1), "test", _server.Clock.GetUtcNow());
            return true;
        });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private IPEndPoint Broker => _server.Broker.BoundEndPoints.Single();

    [Fact]
    public async Task Broker_listens_only_on_the_configured_address()
    {
        Assert.Equal(IPAddress.Loopback, Broker.Address);
        Assert.NotEqual(0, Broker.Port);
        using var elsewhere = new TcpClient(AddressFamily.InterNetworkV6);
        await Assert.ThrowsAnyAsync<SocketException>(() => elsewhere.ConnectAsync(IPAddress.IPv6Loopback, Broker.Port));
    }

    [Fact]
    public async Task Enrollment_tells_the_device_where_the_broker_is()
    {
        var device = await _server.EnrollAsync("S-URL");
        Assert.Equal($"mqtts://127.0.0.1:{Broker.Port}", device.MqttUrl);
    }

    [Fact]
    public async Task Device_with_its_credential_receives_a_wake_when_a_command_is_queued()
    {
        var device = await _server.EnrollAsync("S-WAKE");
        using var client = await ConnectAsync(device.DeviceId, device.DeviceSecret);
        var received = Received(client);
        await SubscribeAsync(client, MqttTopics.WakeTopic(device.DeviceId), expectGranted: true);

        await _server.QueueCommandAsync(device.DeviceId, "ring");

        var wake = await received.Reader.ReadAsync(new CancellationTokenSource(Patience).Token);
        Assert.Equal(MqttTopics.WakeTopic(device.DeviceId), wake.Topic);
        Assert.Equal("""{"reason":"command"}""", Encoding.UTF8.GetString(wake.Payload));
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, wake.QualityOfServiceLevel);
    }

    [Fact]
    public async Task Only_a_device_s_sessions_subscribed_to_its_wake_get_it_and_an_unsubscribed_one_no_longer_does()
    {
        // Arrange: one session listening, one connected but never subscribed, one that subscribed and left its filter
        var device = await _server.EnrollAsync("S-SUBS");
        using var listening = await ConnectAsync(device.DeviceId, device.DeviceSecret);
        using var silent = await ConnectAsync(device.DeviceId, device.DeviceSecret, device.DeviceId + "/silent");
        using var leaving = await ConnectAsync(device.DeviceId, device.DeviceSecret, device.DeviceId + "/leaving");
        var (toListening, toSilent, toLeaving) = (Received(listening), Received(silent), Received(leaving));
        await SubscribeAsync(listening, MqttTopics.DeviceFilter(device.DeviceId), expectGranted: true);
        await SubscribeAsync(leaving, MqttTopics.WakeTopic(device.DeviceId), expectGranted: true);
        await leaving.UnsubscribeAsync(MqttTopics.WakeTopic(device.DeviceId));

        // Act: two commands, two wakes
        for (var i = 0; i < 2; i++)
        {
            await _server.QueueCommandAsync(device.DeviceId, "ring");
            await toListening.Reader.ReadAsync(new CancellationTokenSource(Patience).Token);
        }

        // Assert: the listening session got both (its '#' filter matches the wake topic); the others nothing
        Assert.False(toSilent.Reader.TryRead(out _));
        Assert.False(toLeaving.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Device_staged_again_after_repair_is_woken_for_staging()
    {
        var device = await _server.EnrollAsync("S-STAGE");
        foreach (var state in new[] { DeviceState.Active, DeviceState.InRepair })
            Assert.NotNull((await _server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, state, "test", "screen", _server.Clock.GetUtcNow())).Value);
        using var client = await ConnectAsync(device.DeviceId, device.DeviceSecret);
        var received = Received(client);
        await SubscribeAsync(client, MqttTopics.DeviceFilter(device.DeviceId), expectGranted: true);

        await _server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Staging, "test", "repaired", _server.Clock.GetUtcNow());

        var wake = await received.Reader.ReadAsync(new CancellationTokenSource(Patience).Token);
        Assert.Equal("""{"reason":"staging"}""", Encoding.UTF8.GetString(wake.Payload));
    }

    [Fact]
    public async Task Devices_of_a_group_whose_blueprint_changed_are_woken_and_others_are_not()
    {
        var picker = await _server.EnrollAsync("S-PICKER");
        var other = await _server.EnrollAsync("S-VEHICLE", token: VehicleToken);
        using var pickerClient = await ConnectAsync(picker.DeviceId, picker.DeviceSecret);
        using var otherClient = await ConnectAsync(other.DeviceId, other.DeviceSecret);
        var pickerWakes = Received(pickerClient);
        var otherWakes = Received(otherClient);
        await SubscribeAsync(pickerClient, MqttTopics.WakeTopic(picker.DeviceId), expectGranted: true);
        await SubscribeAsync(otherClient, MqttTopics.WakeTopic(other.DeviceId), expectGranted: true);

        var yaml = (await File.ReadAllTextAsync(EdgeServer.SeedPath)).Replace("minSecurityPatch: 2025-06-01", "minSecurityPatch: 2026-09-01", StringComparison.Ordinal);
        await _server.Get<Seed.ISeedApplier>().ApplyAsync(Seed.SiteSeedLoader.Parse(yaml, "changed.yaml"), _server.Clock.GetUtcNow());

        var wake = await pickerWakes.Reader.ReadAsync(new CancellationTokenSource(Patience).Token);
        Assert.Equal("""{"reason":"declarations"}""", Encoding.UTF8.GetString(wake.Payload));
        await Task.Delay(300);
        Assert.False(otherWakes.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Command_for_a_group_wakes_each_of_its_devices_once_and_no_other()
    {
        var pickers = new[] { await _server.EnrollAsync("S-G1"), await _server.EnrollAsync("S-G2") };
        var vehicle = await _server.EnrollAsync("S-G3", token: VehicleToken);
        var clients = new List<IMqttClient>();
        var wakes = new List<System.Threading.Channels.Channel<MqttApplicationMessage>>();
        foreach (var device in pickers.Append(vehicle))
        {
            var client = await ConnectAsync(device.DeviceId, device.DeviceSecret);
            clients.Add(client);
            wakes.Add(Received(client));
            await SubscribeAsync(client, MqttTopics.WakeTopic(device.DeviceId), expectGranted: true);
        }

        var queued = await _server.Get<ICommandStore>().QueueGroupCommandAsync("pickers", "ring", new Dictionary<string, string>(StringComparer.Ordinal), null, "test", _server.Clock.GetUtcNow());

        Assert.Equal(pickers.Select(p => p.DeviceId).Order(StringComparer.Ordinal), queued.Select(c => c.DeviceId).Order(StringComparer.Ordinal));
        foreach (var picker in wakes.Take(2))
            Assert.Equal("""{"reason":"command"}""", Encoding.UTF8.GetString((await picker.Reader.ReadAsync(new CancellationTokenSource(Patience).Token)).Payload));
        await Task.Delay(300);
        Assert.All(wakes, w => Assert.False(w.Reader.TryRead(out _)));
        foreach (var client in clients)
            client.Dispose();
    }

    private async Task<(string Id, string Secret)> AddClientAsync(string id, string role)
    {
        var secret = await _server.Get<IMqttClientAdmin>().AddMqttClientAsync(id, role, "test", _server.Clock.GetUtcNow());
        return (id, secret!);
    }

    private MqttClientOptions Options(string user, string password, MqttProtocolVersion version, string? clientId = null) =>
        _server.BrokerClient()
            .WithClientId(clientId ?? user)
            .WithCredentials(user, password)
            .WithProtocolVersion(version)
            .WithTimeout(Patience)
            .Build();

    /// <summary>Cradle "cradle-1" connected, and tool "floor-board" subscribed to every cradle's topics.</summary>
    private async Task<CradleAndTool> CradleAndToolWatchingCradlesAsync()
    {
        var (cradleId, cradleSecret) = await AddClientAsync("cradle-1", MqttClientRoles.Cradle);
        var (toolId, toolSecret) = await AddClientAsync("floor-board", MqttClientRoles.Tool);
        var tool = await ConnectAsync(toolId, toolSecret);
        var received = Received(tool);
        await SubscribeAsync(tool, "edgemdm/cradles/#", expectGranted: true);
        return new CradleAndTool(await ConnectAsync(cradleId, cradleSecret), tool, received);
    }

    private sealed record CradleAndTool(IMqttClient Cradle, IMqttClient Tool, System.Threading.Channels.Channel<MqttApplicationMessage> ToolReceived) : IDisposable
    {
        public void Dispose()
        {
            Cradle.Dispose();
            Tool.Dispose();
        }
    }

    /// <summary>How the broker answers a log-in; the client is dropped right after.</summary>
    private async Task<MqttClientConnectResultCode> LogInAsync(string user, string password, MqttProtocolVersion version = MqttProtocolVersion.V500, string? clientId = null)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        return (await client.ConnectAsync(Options(user, password, version, clientId), CancellationToken.None)).ResultCode;
    }

    private async Task<IMqttClient> ConnectAsync(string user, string password, string? clientId = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(Options(user, password, MqttProtocolVersion.V500, clientId), CancellationToken.None);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return client;
    }

    private static async Task SubscribeAsync(IMqttClient client, string filter, bool expectGranted)
    {
        var result = await client.SubscribeAsync(
            new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), CancellationToken.None);
        var code = result.Items.Single().ResultCode;
        if (expectGranted)
            Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, code);
        else
            Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, code);
    }

    private static System.Threading.Channels.Channel<MqttApplicationMessage> Received(IMqttClient client)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<MqttApplicationMessage>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            channel.Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        return channel;
    }

    private static MqttApplicationMessage WakeOf(string deviceId) => Telemetry(MqttTopics.WakeTopic(deviceId), """{"reason":"forged"}""");

    private static MqttApplicationMessage Telemetry(string topic, string payload) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
