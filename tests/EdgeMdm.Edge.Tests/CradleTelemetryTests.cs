using System.Diagnostics;
using System.Text;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Mqtt;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeMdm.Edge.Tests;

/// <summary>Networked cradles' telemetry through the embedded broker over TLS, into the floor model; bad input dropped and counted.</summary>
public sealed class CradleTelemetryTests : IAsyncLifetime
{
    private const string Payload = """{"occupied":true,"content":"device","serial":"S123","battery":87,"charging":true,"fault":null}""";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private EdgeServer _server = null!;

    public async Task InitializeAsync() => _server = await EdgeServer.StartAsync(
        "--mqtt-listen", "127.0.0.1:0",
        "--Edge:Cradles:Networked:0:Id", "bay-3",
        "--Edge:Cradles:Networked:0:Slots", "4");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private CradleMetrics Metrics => _server.Get<CradleMetrics>();

    private ICradleFloor Floor => _server.Get<ICradleFloor>();

    [SkippableFact]
    public async Task Telemetry_from_mosquitto_pub_over_tls_with_a_cradle_login_is_in_the_model()
    {
        SkipWithoutMosquittoPub();
        var secret = await AddClientAsync("bay-3", MqttClientRoles.Cradle);

        var (exitCode, stderr) = await MosquittoPubAsync("bay-3", secret, "edgemdm/cradles/bay-3/slots/2", Payload);

        Assert.True(exitCode == 0, "mosquitto_pub: " + stderr);
        await WaitUntilAsync(() => Metrics.Count(CradleMetrics.Accepted) == 1);
        var slot = Floor.SlotOf("S123");
        Assert.NotNull(slot);
        Assert.Equal(("bay-3", 2, CradleSource.Mqtt, SlotContent.Device, 87, true), (slot.CradleId, slot.Slot, slot.Source, slot.Content, slot.ChargePercent, slot.Charging));
        var cradle = Assert.Single(Floor.Cradles());
        Assert.Equal((CradleSource.Mqtt, 4), (cradle.Source, cradle.SlotCount));
    }

    [SkippableFact]
    public async Task The_same_publish_with_a_device_login_is_refused_counted_and_not_in_the_model()
    {
        SkipWithoutMosquittoPub();
        var device = await _server.EnrollAsync("S-NOT-A-CRADLE");

        var (_, stderr) = await MosquittoPubAsync(device.DeviceId, device.DeviceSecret, "edgemdm/cradles/bay-3/slots/2", Payload, "-V", "5");

        Assert.Contains("Not authorized", stderr, StringComparison.Ordinal);
        await WaitUntilAsync(() => _server.MqttCounters.PublishDenied == 1);
        Assert.Null(Floor.SlotOf("S123"));
        Assert.Equal(0, Metrics.Count(CradleMetrics.Accepted));
        Assert.All(Floor.Cradles().Single().Slots, s => Assert.Null(s.ObservedAt));
    }

    [Theory]
    [InlineData("bay-9", "edgemdm/cradles/bay-9/slots/1", Payload, CradleMetrics.UnknownCradle)]
    [InlineData("bay-3", "edgemdm/cradles/bay-3/slots/5", Payload, CradleMetrics.BadSlot)]
    [InlineData("bay-3", "edgemdm/cradles/bay-3/slots/0", Payload, CradleMetrics.BadSlot)]
    [InlineData("bay-3", "edgemdm/cradles/bay-3/slots/x", Payload, CradleMetrics.BadSlot)]
    [InlineData("bay-3", "edgemdm/cradles/bay-3/slots/1", """{"occupied":"yes"}""", CradleMetrics.Malformed)]
    [InlineData("bay-3", "edgemdm/cradles/bay-3/slots/1", "not json", CradleMetrics.Malformed)]
    [InlineData("bay-3", "edgemdm/cradles/bay-3/slots/1", "OVERSIZED", CradleMetrics.Malformed)]
    public async Task Bad_telemetry_is_dropped_counted_and_nothing_is_stored(string cradleId, string topic, string payload, string result)
    {
        var secret = await AddClientAsync(cradleId, MqttClientRoles.Cradle);
        using var cradle = await ConnectAsync(cradleId, secret);
        var body = string.Equals(payload, "OVERSIZED", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(Payload[..^1] + ",\"pad\":\"" + new string('x', 500) + "\"}") : Encoding.UTF8.GetBytes(payload);

        await cradle.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(body).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        Assert.Equal(1, Metrics.Count(result));
        Assert.Equal(0, Metrics.Count(CradleMetrics.Accepted));
        Assert.Empty(_server.Get<CradleStore>().Observations());
        Assert.Contains(_server.Logs.Entries, e => e.Message.Contains($"telemetry dropped ({result})", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pick_sends_the_cradle_led_on_and_emptying_the_slot_sends_it_off()
    {
        var secret = await AddClientAsync("bay-3", MqttClientRoles.Cradle);
        using var cradle = await ConnectAsync("bay-3", secret);
        var commands = System.Threading.Channels.Channel.CreateUnbounded<string>();
        cradle.ApplicationMessageReceivedAsync += m => commands.Writer.WriteAsync(m.ApplicationMessage.Topic + " " + Encoding.UTF8.GetString(m.ApplicationMessage.Payload)).AsTask();
        await cradle.SubscribeAsync("edgemdm/cradles/bay-3/slots/+/led", MqttQualityOfServiceLevel.AtLeastOnce);
        await PublishAsync(cradle, "edgemdm/cradles/bay-3/slots/3", """{"occupied":true,"content":"battery","serial":"BAT-9","battery":100,"charging":false}""");

        var picked = await Floor.PickAsync("BAT-9", CancellationToken.None);

        Assert.Equal((3, SlotContent.Battery, true), (picked!.Slot, picked.Content, picked.LedOn));
        Assert.Equal("edgemdm/cradles/bay-3/slots/3/led on", await commands.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        await PublishAsync(cradle, "edgemdm/cradles/bay-3/slots/3", """{"occupied":false}""");
        Assert.Equal("edgemdm/cradles/bay-3/slots/3/led off", await commands.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        Assert.False(Floor.Cradles().Single().Slots[2].LedOn);
    }

    [Fact]
    public async Task Operator_api_lists_cradles_for_a_site_user_and_refuses_devices_and_anonymous_callers()
    {
        await HubCatalog.ApplyAsync(_server, new EdgeMdm.Contracts.Sync.HubChange
        {
            Position = 1,
            AtUnixMs = 1_700_000_000_000,
            SiteUserUpserted = new EdgeMdm.Contracts.Sync.SiteUserUpserted
            {
                UserName = "sam", Role = "supervisor", PasswordHash = EdgeMdm.Domain.Security.PasswordHash.Create("floor pass", 1_000),
            },
        });
        var device = await _server.EnrollAsync("S-API");

        using var anonymous = await _server.Http.GetAsync(new Uri("/api/v1/cradles", UriKind.Relative));
        using var asDevice = await _server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/cradles", device.DeviceSecret));
        using var wrongPassword = await _server.Http.SendAsync(Basic("sam", "nope"));
        using var asSupervisor = await _server.Http.SendAsync(Basic("sam", "floor pass"));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, asDevice.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, asSupervisor.StatusCode);
        var body = await asSupervisor.Content.ReadAsStringAsync();
        Assert.Contains("\"cradleId\":\"bay-3\"", body, StringComparison.Ordinal);
        Assert.Contains("\"source\":\"Mqtt\"", body, StringComparison.Ordinal);
    }

    private static HttpRequestMessage Basic(string user, string password)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/cradles");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        return request;
    }

    private static async Task PublishAsync(IMqttClient client, string topic, string payload)
    {
        var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.True(result.IsSuccess, result.ReasonCode.ToString());
    }

    private async Task<string> AddClientAsync(string id, string role) =>
        (await _server.Get<IMqttClientAdmin>().AddMqttClientAsync(id, role, "test", _server.Clock.GetUtcNow()))!;

    private async Task<IMqttClient> ConnectAsync(string user, string secret)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var connected = await client.ConnectAsync(_server.BrokerClient().WithClientId(user).WithCredentials(user, secret).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build());
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        return client;
    }

    private async Task<(int ExitCode, string Stderr)> MosquittoPubAsync(string user, string password, string topic, string message, params string[] extra)
    {
        var port = _server.Broker.Listeners[0].EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("mosquitto_pub") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in (string[])[
            "-h", "127.0.0.1", "-p", port, "--cafile", Path.Combine(_server.DataDir, "tls", "site-ca.pem"),
            "-i", user, "-u", user, "-P", password, "-q", "1", "-t", topic, "-m", message, .. extra])
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Patience);
        return (process.ExitCode, await stderr);
    }

    private static void SkipWithoutMosquittoPub() =>
        Skip.If(!File.Exists("/usr/bin/mosquitto_pub"), "mosquitto_pub not installed (tests/scripts/setup.sh installs mosquitto-clients)");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
