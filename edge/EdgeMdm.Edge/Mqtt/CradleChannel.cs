using System.Buffers;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// Where the embedded broker hands what a cradle published and the broker accepted (the ACL: only under its own id).
/// Declared here, answered by Cradles; the broker awaits it before acknowledging, so a slow store slows that cradle only.
/// </summary>
public interface ICradleTelemetrySink
{
    /// <param name="cradleId">The cradle's login, which the ACL made the topic's third level.</param>
    Task ReceivedAsync(string cradleId, string topic, ReadOnlySequence<byte> payload, CancellationToken cancellationToken);
}

/// <summary>The appliance publishing to cradles through the embedded broker (LED commands); answered by the broker.</summary>
public interface ICradleCommands
{
    /// <summary>Delivers <paramref name="payload"/> on <paramref name="topic"/> to whoever subscribed; false without a broker.</summary>
    Task<bool> PublishAsync(string topic, string payload, CancellationToken cancellationToken);
}
