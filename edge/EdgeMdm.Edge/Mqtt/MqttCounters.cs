using System.Diagnostics.Metrics;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// What the broker counts since start, as instruments on the appliance's meter (exported at <c>/metrics</c>; read by
/// <c>edgemdm-edge mqtt status</c> from the running appliance): clients connected, logins by result, subscriptions and
/// publications denied, malformed connections dropped, TLS handshakes failed, wakes published, and which broker serves.
/// </summary>
public sealed class MqttCounters
{
    private long _connected;
    private long _loginsAccepted;
    private long _loginsRefused;
    private long _subscribeDenied;
    private long _publishDenied;
    private long _malformedDropped;
    private long _tlsHandshakesFailed;
    private long _wakesPublished;
    private long _overCapacity;
    private long _publishesThrottled;

    /// <param name="services">Asked for the <see cref="IDeviceWaker"/> when the broker gauge is read: the broker counts
    /// through this class, so it cannot be given at construction.</param>
    public MqttCounters(IMeterFactory meters, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(services);
        var meter = meters.Create(EdgeMetrics.MeterName);
        meter.CreateObservableUpDownCounter("edgemdm.mqtt.clients", () => Connected, "{client}", "clients connected to the embedded broker");
        meter.CreateObservableCounter("edgemdm.mqtt.logins", () => new[]
        {
            new Measurement<long>(LoginsAccepted, new KeyValuePair<string, object?>("result", "accepted")),
            new Measurement<long>(LoginsRefused, new KeyValuePair<string, object?>("result", "refused")),
        }, "{login}", "broker logins by result");
        meter.CreateObservableCounter("edgemdm.mqtt.denials", () => new[]
        {
            new Measurement<long>(SubscribeDenied, new KeyValuePair<string, object?>("kind", "subscribe")),
            new Measurement<long>(PublishDenied, new KeyValuePair<string, object?>("kind", "publish")),
        }, "{denial}", "subscriptions and publications the ACL denied");
        meter.CreateObservableCounter("edgemdm.mqtt.malformed", () => MalformedDropped, "{connection}", "connections dropped for malformed MQTT");
        meter.CreateObservableCounter("edgemdm.mqtt.tls_handshake_failures", () => TlsHandshakesFailed, "{connection}",
            "connections that ended in the TLS handshake (a client that does not trust or pin the site certificate, or speaks plain MQTT to a TLS port)");
        meter.CreateObservableCounter("edgemdm.mqtt.limited", () => new[]
        {
            new Measurement<long>(OverCapacity, new KeyValuePair<string, object?>("limit", "connections")),
            new Measurement<long>(PublishesThrottled, new KeyValuePair<string, object?>("limit", "publish_rate")),
        }, "{refusal}", "connections closed past the broker's maximum, and publications dropped past a client's rate");
        meter.CreateObservableCounter("edgemdm.wakes", () => WakesPublished, "{wake}", "device wakes published");
        meter.CreateObservableGauge("edgemdm.mqtt.broker", () =>
        {
            var (mode, endpoints) = services.GetRequiredService<IDeviceWaker>().Describe();
            return new Measurement<int>(1, new KeyValuePair<string, object?>("mode", mode), new KeyValuePair<string, object?>("endpoints", endpoints));
        }, description: "which broker the appliance wakes devices through (embedded, external or none) and where");
    }

    public long Connected => Interlocked.Read(ref _connected);

    public long LoginsAccepted => Interlocked.Read(ref _loginsAccepted);

    public long LoginsRefused => Interlocked.Read(ref _loginsRefused);

    public long SubscribeDenied => Interlocked.Read(ref _subscribeDenied);

    public long PublishDenied => Interlocked.Read(ref _publishDenied);

    public long MalformedDropped => Interlocked.Read(ref _malformedDropped);

    public long TlsHandshakesFailed => Interlocked.Read(ref _tlsHandshakesFailed);

    public long WakesPublished => Interlocked.Read(ref _wakesPublished);

    public void ClientConnected() => Interlocked.Increment(ref _connected);

    public void ClientDisconnected() => Interlocked.Decrement(ref _connected);

    public void LoginAccepted() => Interlocked.Increment(ref _loginsAccepted);

    public void LoginRefused() => Interlocked.Increment(ref _loginsRefused);

    public void SubscriptionDenied() => Interlocked.Increment(ref _subscribeDenied);

    public void PublicationDenied() => Interlocked.Increment(ref _publishDenied);

    public void MalformedConnectionDropped() => Interlocked.Increment(ref _malformedDropped);

    public void TlsHandshakeFailed() => Interlocked.Increment(ref _tlsHandshakesFailed);

    public long OverCapacity => Interlocked.Read(ref _overCapacity);

    public long PublishesThrottled => Interlocked.Read(ref _publishesThrottled);

    public void ConnectionOverCapacity() => Interlocked.Increment(ref _overCapacity);

    public void PublishThrottled() => Interlocked.Increment(ref _publishesThrottled);

    public void WakesSent(int count) => Interlocked.Add(ref _wakesPublished, count);
}
