namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// Tells a device it has work waiting, so it checks in now rather than at its next interval. Best effort: a device
/// that misses a wake still checks in on its interval.
/// </summary>
public interface IDeviceWaker
{
    /// <summary>Publishes the wake; throws when the broker cannot take it now (the caller keeps durable wakes to retry).</summary>
    Task WakeAsync(string deviceId, string reason, CancellationToken cancellationToken);

    /// <summary>What status reports: <c>embedded</c>, <c>external</c> or <c>none</c>, and where.</summary>
    (string Mode, string Endpoints) Describe();
}

/// <summary>No MQTT configured: wakes are dropped and devices check in on their interval.</summary>
internal sealed class NoDeviceWaker : IDeviceWaker
{
    public Task WakeAsync(string deviceId, string reason, CancellationToken cancellationToken) => Task.CompletedTask;

    public (string Mode, string Endpoints) Describe() => ("none", "");
}

/// <summary>The wake message: JSON <c>{"reason":"command"}</c>.</summary>
public static class WakeMessage
{
    public static byte[] Payload(string reason) => System.Text.Encoding.UTF8.GetBytes("{\"reason\":\"" + System.Text.Encodings.Web.JavaScriptEncoder.Default.Encode(reason) + "\"}");
}
