namespace EdgeMdm.Edge.Mqtt;

/// <summary>What the broker counts since start; written to the store by <see cref="MqttStatsWriter"/> for <c>edgemdm-edge mqtt status</c>.</summary>
public sealed class MqttCounters
{
    private long _connected;
    private long _loginsAccepted;
    private long _loginsRefused;
    private long _subscribeDenied;
    private long _publishDenied;
    private long _malformedDropped;
    private long _wakesPublished;

    public long Connected => Interlocked.Read(ref _connected);

    public long LoginsAccepted => Interlocked.Read(ref _loginsAccepted);

    public long LoginsRefused => Interlocked.Read(ref _loginsRefused);

    public long SubscribeDenied => Interlocked.Read(ref _subscribeDenied);

    public long PublishDenied => Interlocked.Read(ref _publishDenied);

    public long MalformedDropped => Interlocked.Read(ref _malformedDropped);

    public long WakesPublished => Interlocked.Read(ref _wakesPublished);

    public void ClientConnected() => Interlocked.Increment(ref _connected);

    public void ClientDisconnected() => Interlocked.Decrement(ref _connected);

    public void LoginAccepted() => Interlocked.Increment(ref _loginsAccepted);

    public void LoginRefused() => Interlocked.Increment(ref _loginsRefused);

    public void SubscriptionDenied() => Interlocked.Increment(ref _subscribeDenied);

    public void PublicationDenied() => Interlocked.Increment(ref _publishDenied);

    public void MalformedConnectionDropped() => Interlocked.Increment(ref _malformedDropped);

    public void WakesSent(int count) => Interlocked.Add(ref _wakesPublished, count);
}
