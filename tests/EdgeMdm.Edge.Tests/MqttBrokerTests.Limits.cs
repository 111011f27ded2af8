using System.Net.Sockets;
using System.Text;
using MQTTnet;
using MQTTnet.Exceptions;

namespace EdgeMdm.Edge.Tests;

public sealed partial class MqttBrokerTests
{
    [Fact]
    public async Task A_client_flooding_publications_is_throttled_then_disconnected_while_another_is_served()
    {
        // Arrange: the default rate (20 a second, five seconds' worth at once) on a clock that does not move
        using var clients = await CradleAndToolWatchingCradlesAsync();
        var (flooder, received) = (clients.Cradle, clients.ToolReceived);
        var (otherId, otherSecret) = await AddClientAsync("cradle-2", MqttClientRoles.Cradle);
        using var other = await ConnectAsync(otherId, otherSecret);
        var burst = 20 * 5;

        // Act
        var answers = new List<MqttClientPublishReasonCode>();
        try
        {
            for (var i = 0; i < burst * 3; i++)
                answers.Add((await flooder.PublishAsync(Telemetry("edgemdm/cradles/cradle-1/slots/1", "flood " + i), CancellationToken.None)).ReasonCode);
        }
        catch (Exception exception) when (exception is MqttCommunicationException or MqttClientNotConnectedException or OperationCanceledException)
        {
            // Disconnected by the broker: what is being tested.
        }

        await WaitUntilAsync(() => !flooder.IsConnected);
        var served = await other.PublishAsync(Telemetry("edgemdm/cradles/cradle-2/slots/1", "charging"), CancellationToken.None);

        // Assert: the burst goes through, then every publication is dropped until the client is cut off
        Assert.Equal(Enumerable.Repeat(MqttClientPublishReasonCode.Success, burst), answers.Take(burst));
        Assert.All(answers.Skip(burst), code => Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, code));
        Assert.InRange(answers.Count, burst + 1, burst * 2);
        Assert.Equal(MqttClientPublishReasonCode.Success, served.ReasonCode);
        var delivered = new List<string>();
        using var patience = new CancellationTokenSource(Patience);
        while (delivered.Count < burst + 1)
            delivered.Add(Encoding.UTF8.GetString((await received.Reader.ReadAsync(patience.Token)).Payload));
        Assert.Equal("charging", delivered[^1]);
        Assert.True(_server.MqttCounters.PublishesThrottled >= burst - 1, $"{_server.MqttCounters.PublishesThrottled} publications counted as throttled");
    }
}

/// <summary>The broker's connection limit, on a broker that takes two.</summary>
public sealed class MqttConnectionLimitTests : IAsyncLifetime
{
    private EdgeServer _server = null!;

    public async Task InitializeAsync() => _server = await EdgeServer.StartAsync("--mqtt-listen", "127.0.0.1:0", "--Edge:Mqtt:MaxConnections", "2");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_connection_past_the_maximum_is_closed_at_once_and_a_freed_place_is_taken_again()
    {
        // Arrange: two connections held open
        var broker = _server.Broker.BoundEndPoints.Single();
        using var first = new TcpClient();
        using var second = new TcpClient();
        await first.ConnectAsync(broker);
        await second.ConnectAsync(broker);

        // Act: a third is closed before anything is read from it; once one goes, a device logs in
        using var third = new TcpClient();
        await third.ConnectAsync(broker);
        var closed = await ReadsEndAsync(third);
        first.Dispose();
        var device = await _server.EnrollAsync("S-AFTER-LIMIT");
        MqttClientConnectResult? result = null;
        await WaitUntilAsync(async () =>
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            try
            {
                result = await client.ConnectAsync(
                    _server.BrokerClient().WithClientId(device.DeviceId).WithCredentials(device.DeviceId, device.DeviceSecret).Build(), CancellationToken.None);
                return true;
            }
            catch (MqttCommunicationException)
            {
                return false; // the freed place is not freed yet
            }
        });

        // Assert
        Assert.True(closed);
        Assert.True(_server.MqttCounters.OverCapacity >= 1);
        Assert.Equal(MqttClientConnectResultCode.Success, result!.ResultCode);
    }

    private static async Task<bool> ReadsEndAsync(TcpClient client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await client.GetStream().ReadAsync(new byte[1], timeout.Token) == 0;
        }
        catch (IOException)
        {
            return true; // reset
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
