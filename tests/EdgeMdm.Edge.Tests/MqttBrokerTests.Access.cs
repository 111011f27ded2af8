using System.Net.Sockets;
using System.Text;
using EdgeMdm.Domain.Lifecycle;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeMdm.Edge.Tests;

/// <summary>Who may log in, subscribe and publish on the broker: devices, cradles and tools.</summary>
public sealed partial class MqttBrokerTests
{
    [Fact]
    public async Task Wrong_secret_is_refused_as_bad_user_name_or_password()
    {
        var device = await _server.EnrollAsync("S-BAD");
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await LogInAsync(device.DeviceId, "ds_not-the-secret"));
        Assert.Equal(1, _server.MqttCounters.LoginsRefused);
    }

    [Fact]
    public async Task Another_devices_secret_does_not_log_in_as_this_device()
    {
        var device = await _server.EnrollAsync("S-ONE");
        var other = await _server.EnrollAsync("S-TWO");
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await LogInAsync(device.DeviceId, other.DeviceSecret));
    }

    [Fact]
    public async Task Retired_device_is_refused()
    {
        var device = await _server.EnrollAsync("S-RETIRED");
        foreach (var state in new[] { DeviceState.Active, DeviceState.Quarantined, DeviceState.Retired })
            Assert.NotNull((await _server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, state, "test", "lost", _server.Clock.GetUtcNow())).Value);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await LogInAsync(device.DeviceId, device.DeviceSecret));
    }

    [Fact]
    public async Task Client_id_of_someone_else_is_refused()
    {
        var device = await _server.EnrollAsync("S-ID");
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, await LogInAsync(device.DeviceId, device.DeviceSecret, clientId: "dev-somebody-else"));
    }

    [Fact]
    public async Task Device_cannot_subscribe_to_another_devices_wake_nor_by_wildcard()
    {
        var device = await _server.EnrollAsync("S-SNOOP");
        var victim = await _server.EnrollAsync("S-VICTIM");
        using var client = await ConnectAsync(device.DeviceId, device.DeviceSecret);
        var received = Received(client);

        await SubscribeAsync(client, MqttTopics.WakeTopic(victim.DeviceId), expectGranted: false);
        await SubscribeAsync(client, "edgemdm/devices/+/wake", expectGranted: false);
        await SubscribeAsync(client, "#", expectGranted: false);
        await _server.QueueCommandAsync(victim.DeviceId, "ring");
        await WaitUntilAsync(() => _server.MqttCounters.WakesPublished >= 1);

        Assert.Equal(3, _server.MqttCounters.SubscribeDenied);
        await Task.Delay(300);
        Assert.False(received.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Nobody_but_the_appliance_publishes_a_wake()
    {
        var device = await _server.EnrollAsync("S-LISTEN");
        var forger = await _server.EnrollAsync("S-FORGER");
        var (cradleId, cradleSecret) = await AddClientAsync("cradle-7", MqttClientRoles.Cradle);
        using var listener = await ConnectAsync(device.DeviceId, device.DeviceSecret);
        var received = Received(listener);
        await SubscribeAsync(listener, MqttTopics.WakeTopic(device.DeviceId), expectGranted: true);

        using var forgingDevice = await ConnectAsync(forger.DeviceId, forger.DeviceSecret);
        using var forgingCradle = await ConnectAsync(cradleId, cradleSecret);
        var byDevice = await forgingDevice.PublishAsync(WakeOf(device.DeviceId), CancellationToken.None);
        var byCradle = await forgingCradle.PublishAsync(WakeOf(device.DeviceId), CancellationToken.None);
        var ownTopic = await listener.PublishAsync(WakeOf(device.DeviceId), CancellationToken.None);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byDevice.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byCradle.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ownTopic.ReasonCode);
        Assert.Equal(3, _server.MqttCounters.PublishDenied);
        Assert.False(received.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Cradle_telemetry_reaches_a_tool_and_a_cradle_cannot_speak_for_another()
    {
        using var clients = await CradleAndToolWatchingCradlesAsync();
        var (cradle, tool, received) = (clients.Cradle, clients.Tool, clients.ToolReceived);
        await SubscribeAsync(tool, "edgemdm/devices/#", expectGranted: false);

        var own = await cradle.PublishAsync(Telemetry("edgemdm/cradles/cradle-1/slots/3", "charging"), CancellationToken.None);
        var other = await cradle.PublishAsync(Telemetry("edgemdm/cradles/cradle-2/slots/3", "forged"), CancellationToken.None);
        var byTool = await tool.PublishAsync(Telemetry("edgemdm/cradles/cradle-1/slots/4", "forged"), CancellationToken.None);

        Assert.Equal(MqttClientPublishReasonCode.Success, own.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, other.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byTool.ReasonCode);
        var message = await received.Reader.ReadAsync(new CancellationTokenSource(Patience).Token);
        Assert.Equal("edgemdm/cradles/cradle-1/slots/3", message.Topic);
        Assert.Equal("charging", Encoding.UTF8.GetString(message.Payload));
        await Task.Delay(200);
        Assert.False(received.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Telemetry_larger_than_a_connection_s_write_buffer_reaches_a_tool_whole_and_so_does_the_next()
    {
        using var clients = await CradleAndToolWatchingCradlesAsync();
        var (cradle, tool, received) = (clients.Cradle, clients.Tool, clients.ToolReceived);
        // Past both the initial 256 bytes and the 4 KiB the buffer shrinks back to, then small again.
        var large = string.Concat(Enumerable.Range(0, 2_000).Select(i => (char)('a' + (i % 26)))) + new string('z', 30_000);

        await cradle.PublishAsync(Telemetry("edgemdm/cradles/cradle-1/log", large), CancellationToken.None);
        await cradle.PublishAsync(Telemetry("edgemdm/cradles/cradle-1/slots/3", "charging"), CancellationToken.None);

        using var patience = new CancellationTokenSource(Patience);
        var first = await received.Reader.ReadAsync(patience.Token);
        var second = await received.Reader.ReadAsync(patience.Token);
        Assert.Equal(large, Encoding.UTF8.GetString(first.Payload));
        Assert.Equal("charging", Encoding.UTF8.GetString(second.Payload));
    }

    [Fact]
    public async Task Sessions_whose_credential_no_longer_holds_are_ended_and_others_are_kept()
    {
        var lost = await _server.EnrollAsync("S-LOST");
        var wiped = await _server.EnrollAsync("S-WIPED");
        var kept = await _server.EnrollAsync("S-KEPT");
        var (cradleId, cradleSecret) = await AddClientAsync("cradle-removed", MqttClientRoles.Cradle);
        using var lostClient = await ConnectAsync(lost.DeviceId, lost.DeviceSecret);
        using var wipedClient = await ConnectAsync(wiped.DeviceId, wiped.DeviceSecret);
        using var keptClient = await ConnectAsync(kept.DeviceId, kept.DeviceSecret);
        using var cradle = await ConnectAsync(cradleId, cradleSecret);

        foreach (var state in new[] { DeviceState.Active, DeviceState.Quarantined, DeviceState.Retired })
            Assert.NotNull((await _server.Get<IDeviceAdmin>().TransitionAsync(lost.DeviceId, state, "test", "lost", _server.Clock.GetUtcNow())).Value);
        await _server.EnrollAsync("S-WIPED");
        await _server.Get<IMqttClientAdmin>().RemoveMqttClientAsync(cradleId);
        _server.Clock.Advance(EmbeddedMqttBroker.RevalidationInterval);

        await WaitUntilAsync(() => !lostClient.IsConnected && !wipedClient.IsConnected && !cradle.IsConnected);
        Assert.True(keptClient.IsConnected);
    }

    [Fact]
    public async Task Cradle_telemetry_is_not_retained_by_the_broker()
    {
        var (cradleId, cradleSecret) = await AddClientAsync("cradle-retain", MqttClientRoles.Cradle);
        var (toolId, toolSecret) = await AddClientAsync("late-board", MqttClientRoles.Tool);
        using var cradle = await ConnectAsync(cradleId, cradleSecret);
        var retained = new MqttApplicationMessageBuilder().WithTopic("edgemdm/cradles/cradle-retain/slots/1").WithPayload("docked").WithRetainFlag()
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        Assert.True((await cradle.PublishAsync(retained, CancellationToken.None)).IsSuccess);

        using var tool = await ConnectAsync(toolId, toolSecret);
        var received = Received(tool);
        await SubscribeAsync(tool, "edgemdm/cradles/#", expectGranted: true);

        await Task.Delay(300);
        Assert.False(received.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_connection_may_make_only_so_many_subscriptions()
    {
        var device = await _server.EnrollAsync("S-MANY");
        using var client = await ConnectAsync(device.DeviceId, device.DeviceSecret);

        for (var i = 0; i < EmbeddedMqttBroker.MaxSubscriptionsPerConnection; i++)
            await SubscribeAsync(client, $"edgemdm/devices/{device.DeviceId}/topic{i}", expectGranted: true);
        await SubscribeAsync(client, $"edgemdm/devices/{device.DeviceId}/one-more", expectGranted: false);
    }

    [Fact]
    public async Task Removed_cradle_can_no_longer_log_in()
    {
        var (cradleId, cradleSecret) = await AddClientAsync("cradle-gone", MqttClientRoles.Cradle);
        await _server.Get<IMqttClientAdmin>().RemoveMqttClientAsync(cradleId);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await LogInAsync(cradleId, cradleSecret, MqttProtocolVersion.V311));
    }
}
