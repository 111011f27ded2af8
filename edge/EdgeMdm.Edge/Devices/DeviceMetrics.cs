using System.Diagnostics.Metrics;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Devices;

/// <summary>The fleet as stored, read when the metrics are scraped: devices by lifecycle state, and those out of line.</summary>
internal sealed class DeviceMetrics
{
    public DeviceMetrics(IMeterFactory meters, EdgeStorage storage)
    {
        var meter = meters.Create(EdgeMetrics.MeterName);
        meter.CreateObservableGauge("edgemdm.devices", () => storage.Read(db => db.Query<StateCount>(
                "SELECT state AS State, count(*) AS Devices FROM devices GROUP BY state"))
            .Select(c => new Measurement<long>(c.Devices, new KeyValuePair<string, object?>("state", c.State))), "{device}", "devices by lifecycle state");
        meter.CreateObservableGauge("edgemdm.devices.noncompliant", () => storage.Read(db => db.ExecuteScalar<long>(
                "SELECT count(*) FROM devices WHERE state <> 'Retired' AND compliant = 0")), "{device}", "devices whose last check-in showed drift");
    }

    private sealed class StateCount
    {
        public string State { get; set; } = "";

        public long Devices { get; set; }
    }
}
