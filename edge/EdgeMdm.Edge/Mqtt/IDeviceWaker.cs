namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// Tells a device it has work waiting, so it checks in now rather than at its next interval. Best effort: a device
/// that misses a wake still checks in on its interval.
/// </summary>
public interface IDeviceWaker
{
    /// <summary>
    /// Publishes one wake per device of <paramref name="wakes"/> (one device at most once); throws when the broker
    /// cannot take them now (the caller keeps durable wakes to retry).
    /// </summary>
    Task WakeAsync(IReadOnlyList<WakeRequest> wakes, CancellationToken cancellationToken);

    /// <summary>What status reports: <c>embedded</c>, <c>external</c> or <c>none</c>, and where.</summary>
    (string Mode, string Endpoints) Describe();
}

/// <summary>No MQTT configured: wakes are dropped and devices check in on their interval.</summary>
internal sealed class NoDeviceWaker : IDeviceWaker
{
    public Task WakeAsync(IReadOnlyList<WakeRequest> wakes, CancellationToken cancellationToken) => Task.CompletedTask;

    public (string Mode, string Endpoints) Describe() => ("none", "");
}

/// <summary>A device to wake, and why (<c>command</c>, <c>declarations</c>, <c>staging</c>).</summary>
public sealed record WakeRequest(string DeviceId, string Reason);

/// <summary>The wake message: JSON <c>{"reason":"command"}</c>, QoS 1, on the device's wake topic.</summary>
public static class WakeMessage
{
    public static MQTTnet.MqttApplicationMessage For(WakeRequest wake)
    {
        ArgumentNullException.ThrowIfNull(wake);
        return new MQTTnet.MqttApplicationMessageBuilder()
            .WithTopic(MqttTopics.WakeTopic(wake.DeviceId))
            .WithPayload(Payload(wake.Reason))
            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
    }

    public static byte[] Payload(string reason) => System.Text.Encoding.UTF8.GetBytes("{\"reason\":\"" + System.Text.Encodings.Web.JavaScriptEncoder.Default.Encode(reason) + "\"}");
}
