using System.Diagnostics.Metrics;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Sync;

/// <summary>How far behind the hub is, read at each scrape: changes waiting in the outbox, the age of the oldest, the uplink.</summary>
internal sealed class SyncMetrics
{
    public SyncMetrics(IMeterFactory meters, IOutboxStore outbox, UplinkMonitor uplink, TimeProvider clock)
    {
        var meter = meters.Create(EdgeMetrics.MeterName);
        meter.CreateObservableGauge("edgemdm.outbox.depth", () => outbox.State().Depth, "{change}", "site changes the hub has not acknowledged");
        meter.CreateObservableGauge("edgemdm.sync.lag", () =>
            outbox.State().OldestPendingAt is { } oldest ? Math.Max(0, (clock.GetUtcNow() - oldest).TotalSeconds) : 0,
            "s", "age of the oldest change the hub has not acknowledged");
        meter.CreateObservableGauge("edgemdm.uplink", () => Enum.GetValues<UplinkState>()
            .Select(state => new Measurement<int>(state == uplink.State ? 1 : 0, new KeyValuePair<string, object?>("state", state.ToString()))),
            description: "the uplink's state (1 for the current one)");
        // An info-style gauge: present only while calls fail, its label saying why (a refused hub certificate, a refused
        // credential, no route), so an operator sees the reason next to the state (`sync status`, /metrics).
        meter.CreateObservableGauge("edgemdm.uplink.failure", () => uplink.LastError is { } error
            ? [new Measurement<int>(1, new KeyValuePair<string, object?>("reason", error))]
            : Array.Empty<Measurement<int>>(),
            description: "why the last call to the hub failed (1 while calls fail, the reason as label)");
    }
}
