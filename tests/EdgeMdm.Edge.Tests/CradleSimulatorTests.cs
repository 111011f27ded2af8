using EdgeMdm.Contracts.Cradles;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Mqtt;

namespace EdgeMdm.Edge.Tests;

/// <summary><c>simulate-cradle</c> against the embedded broker over TLS (trusting the site CA), and its charging model.</summary>
public sealed class CradleSimulatorTests
{
    [Fact]
    public async Task Simulated_cradle_publishes_over_tls_follows_docked_devices_and_prints_its_led_commands()
    {
        await using var server = await EdgeServer.StartAsync(
            "--mqtt-listen", "127.0.0.1:0", "--Edge:Cradles:Networked:0:Id", "bay-3", "--Edge:Cradles:Networked:0:Slots", "4");
        var secret = await server.Get<IMqttClientAdmin>().AddMqttClientAsync("bay-3", MqttClientRoles.Cradle, "test", server.Clock.GetUtcNow());
        var device = await server.EnrollAsync("SIM-FOLLOWED");
        await server.CheckinOkAsync(device.DeviceSecret, CradleGpioTests.Docked("bay-3", 2, level: 33));
        var store = server.Get<CradleStore>();
        var output = new StringWriter();
        var run = new SimulatorRun(
            "bay-3", secret!, new Uri($"mqtts://127.0.0.1:{server.Broker.Listeners[0].EndPoint.Port}"), Path.Combine(server.DataDir, "tls", "site-ca.pem"),
            slots: 4, interval: TimeSpan.FromMilliseconds(200), duration: TimeSpan.FromSeconds(3),
            docked: () => [.. store.Observations().Where(o => o.DeviceId is not null).Select(o => new DockedDevice(o.Slot, o.Observation.Serial!, o.Observation.ChargePercent))],
            seed: 7);

        var running = run.RunAsync(output);
        await WaitUntilAsync(() => server.Get<CradleMetrics>().Count(CradleMetrics.Accepted) >= 4);
        var slot = server.Get<ICradleFloor>().SlotOf("SIM-FOLLOWED");
        Assert.NotNull(slot);
        Assert.Equal(("bay-3", 2, device.DeviceId), (slot.CradleId, slot.Slot, slot.DeviceId));
        await server.Get<ICradleFloor>().PickAsync("SIM-FOLLOWED", CancellationToken.None);
        await WaitUntilAsync(() => Text(output).Contains("edgemdm/cradles/bay-3/slots/2/led: LED on", StringComparison.Ordinal));

        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(0, server.Get<CradleMetrics>().Count(CradleMetrics.Malformed));
        Assert.Contains("round 1:", Text(output), StringComparison.Ordinal);
    }

    [Fact]
    public void Charge_is_fast_to_80_percent_then_tapers()
    {
        var toEighty = CradleSimulation.Charged(20, 0.8);
        var fromEighty = CradleSimulation.Charged(80, 0.8) - 80;

        Assert.InRange(toEighty, 79, 81);
        Assert.InRange(fromEighty, 5, 19);
        Assert.Equal(100, CradleSimulation.Charged(99.9, 10));
    }

    [Fact]
    public void Every_simulated_slot_encodes_as_valid_telemetry_through_many_rounds()
    {
        var simulation = new CradleSimulation("bay-3", 12, seed: 25);
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < 2_000; round++)
        {
            simulation.Step(TimeSpan.FromSeconds(5), docked: null);
            for (var slot = 1; slot <= 12; slot++)
            {
                var telemetry = simulation.Telemetry(slot);
                Assert.NotNull(CradleTelemetryCodec.Encode(telemetry, out var error));
                Assert.Null(error);
                kinds.Add(telemetry.Content);
                if (telemetry.Fault is not null)
                    kinds.Add("fault");
            }
        }

        Assert.Equal(["battery", "device", "empty", "fault"], kinds.Order(StringComparer.Ordinal));
    }

    private static string Text(StringWriter output)
    {
        lock (output)
            return output.ToString();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
