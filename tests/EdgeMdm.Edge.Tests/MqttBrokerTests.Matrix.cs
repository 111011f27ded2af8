using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The broker's access list as one table, checked with real MQTT clients: each role (device, cradle, tool) against each
/// topic family, subscribe and publish, allowed or refused as the README's "MQTT topics" says.
/// </summary>
public sealed partial class MqttBrokerTests
{
    private const string Me = "{me}";
    private const string Other = "{other}";

    /// <summary>
    /// (topic or filter, roles that may subscribe to it, roles that may publish on it). <c>{me}</c> is the caller's own
    /// id (a device's for a device topic, a cradle's for a cradle topic), <c>{other}</c> someone else's of the same kind.
    /// </summary>
    private static readonly (string Topic, MqttRole[] Subscribe, MqttRole[] Publish)[] AccessList =
    [
        ("edgemdm/devices/{me}/wake", [MqttRole.Device], []),
        ("edgemdm/devices/{me}/#", [MqttRole.Device], []),
        ("edgemdm/devices/{other}/wake", [], []),
        ("edgemdm/devices/+/wake", [], []),
        ("edgemdm/devices/#", [], []),
        ("edgemdm/cradles/{me}/slots/1", [MqttRole.Cradle, MqttRole.Tool], [MqttRole.Cradle]),
        ("edgemdm/cradles/{me}/#", [MqttRole.Cradle, MqttRole.Tool], []),
        ("edgemdm/cradles/{other}/slots/1", [MqttRole.Tool], []),
        ("edgemdm/cradles/+/slots/1", [MqttRole.Tool], []),
        ("edgemdm/cradles/#", [MqttRole.Tool], []),
        ("edgemdm/#", [], []),
        ("#", [], []),
        ("$SYS/broker/clients", [], []),
        ("$share/g/edgemdm/cradles/#", [], []),
        ("other/topic", [], []),
    ];

    [Fact]
    public async Task Every_role_may_use_exactly_the_topic_families_the_access_list_gives_it()
    {
        var device = await _server.EnrollAsync("S-MATRIX");
        var otherDevice = await _server.EnrollAsync("S-MATRIX-OTHER");
        var (cradleId, cradleSecret) = await AddClientAsync("cradle-m1", MqttClientRoles.Cradle);
        var (toolId, toolSecret) = await AddClientAsync("board-m1", MqttClientRoles.Tool);
        (MqttRole Role, string User, string Secret, string Me, string Other)[] callers =
        [
            (MqttRole.Device, device.DeviceId, device.DeviceSecret, device.DeviceId, otherDevice.DeviceId),
            (MqttRole.Cradle, cradleId, cradleSecret, cradleId, "cradle-m2"),
            // A tool owns no topic: its "own" cradle is just a cradle.
            (MqttRole.Tool, toolId, toolSecret, cradleId, "cradle-m2"),
        ];

        var wrong = new List<string>();
        foreach (var (role, user, secret, me, other) in callers)
        {
            using var client = await ConnectAsync(user, secret);
            foreach (var (pattern, subscribers, publishers) in AccessList)
            {
                var topic = pattern.Replace(Me, Owner(pattern, role, me), StringComparison.Ordinal).Replace(Other, other, StringComparison.Ordinal);
                var subscribed = (await client.SubscribeAsync(
                    new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), CancellationToken.None)).Items.Single().ResultCode;
                if ((subscribed == MqttClientSubscribeResultCode.GrantedQoS1) != subscribers.Contains(role))
                    wrong.Add($"{role} subscribing to {topic}: {subscribed}");
                if (topic.Contains('+', StringComparison.Ordinal) || topic.Contains('#', StringComparison.Ordinal))
                    continue;
                var published = (await client.PublishAsync(Telemetry(topic, """{"occupied":false,"content":"empty"}"""), CancellationToken.None)).ReasonCode;
                if ((published == MqttClientPublishReasonCode.Success) != publishers.Contains(role))
                    wrong.Add($"{role} publishing on {topic}: {published}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>A device's "own" cradle topic is a cradle's it does not own; a cradle's own device topic a device's it is not.</summary>
    private static string Owner(string pattern, MqttRole role, string me) =>
        (pattern.StartsWith("edgemdm/devices/", StringComparison.Ordinal), role) switch
        {
            (true, MqttRole.Device) or (false, MqttRole.Cradle or MqttRole.Tool) => me,
            _ => "not-" + me,
        };
}
