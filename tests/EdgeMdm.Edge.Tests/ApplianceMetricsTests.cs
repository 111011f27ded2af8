using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The appliance's instruments as Prometheus scrapes them from <c>/metrics</c>. A meter listener sees every meter of its
/// name in the process, so appliances of tests running beside this one would count into what it reads: it runs alone.
/// </summary>
[Collection(Name)]
public sealed class ApplianceMetricsTests
{
    public const string Name = "appliance metrics";

    [Fact]
    public async Task Metrics_count_check_ins_and_devices_by_state()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());
        using var refused = await server.CheckinAsync("ds_unknown", new CheckinRequest());

        var metrics = await server.Http.GetStringAsync("/metrics");

        Assert.Contains("edgemdm_checkins_total{otel_scope_name=\"EdgeMdm.Edge\",outcome=\"accepted\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("edgemdm_devices{otel_scope_name=\"EdgeMdm.Edge\",state=\"Staging\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("edgemdm_checkin_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("edgemdm_outbox_depth", metrics, StringComparison.Ordinal);
        Assert.Contains("edgemdm_mdns_dropped_total{otel_scope_name=\"EdgeMdm.Edge\",reason=\"unicast_rate\"}", metrics, StringComparison.Ordinal);
    }
}

[CollectionDefinition(ApplianceMetricsTests.Name, DisableParallelization = true)]
public sealed class ApplianceMetricsGroup;
