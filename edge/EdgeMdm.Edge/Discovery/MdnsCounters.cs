using System.Diagnostics.Metrics;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Discovery;

/// <summary>
/// What the mDNS responder dropped since start, on the appliance's meter (<c>/metrics</c>):
/// <c>edgemdm.mdns.dropped</c> by reason, <c>malformed</c> (a packet the DNS reader found fault with) or
/// <c>unicast_rate</c> (a unicast reply past its source's rate, <see cref="MdnsOptions.UnicastRepliesPerSecondPerSource"/>).
/// </summary>
public sealed class MdnsCounters
{
    private long _malformed;
    private long _unicastLimited;

    public MdnsCounters(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        meters.Create(EdgeMetrics.MeterName).CreateObservableCounter("edgemdm.mdns.dropped", () => new[]
        {
            new Measurement<long>(Malformed, new KeyValuePair<string, object?>("reason", "malformed")),
            new Measurement<long>(UnicastLimited, new KeyValuePair<string, object?>("reason", "unicast_rate")),
        }, "{packet}", "mDNS packets found malformed, and unicast replies dropped past their source's rate");
    }

    public long Malformed => Interlocked.Read(ref _malformed);

    public long UnicastLimited => Interlocked.Read(ref _unicastLimited);

    /// <returns>How many so far, this one included.</returns>
    internal long BadPacket() => Interlocked.Increment(ref _malformed);

    internal void UnicastLimitedOne() => Interlocked.Increment(ref _unicastLimited);
}
