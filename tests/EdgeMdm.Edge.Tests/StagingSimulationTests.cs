using System.Text.Json;
using EdgeMdm.Agent;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Staging;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Staging.Progress;

namespace EdgeMdm.Edge.Tests;

/// <summary>The reference agent's simulated devices perform a real appliance's 7-step plan over TLS: Active, stuck, retried.</summary>
public sealed class StagingSimulationTests
{
    private const string Psk = "Sim-Floor-PSK-4be1d00d";
    private const int Devices = 12;

    private static StagingPlan SevenStepPlan() => new("scanner-standard",
    [
        new EnrollStep(),
        new ManagedConfigStep("com.zebra.oemconfig.common", new Dictionary<string, string>(StringComparer.Ordinal) { ["scanner.decoders.qr"] = "true" }),
        new InstallAppsStep([]),
        new WifiStep("dc-floor", WifiSecurity.Wpa2Psk, new Secret(Psk)),
        new PairPeripheralStep("ring-scanner", "00:1B:*"),
        new SettingsStep(new Dictionary<string, string>(StringComparer.Ordinal) { ["screen.timeoutSeconds"] = "300" }),
        new VerifyStep(),
    ]);

    [Fact]
    public async Task Simulated_devices_reach_active_the_wifi_failures_stay_stuck_with_the_reason_and_a_retry_completes_them()
    {
        // Arrange: the pickers blueprint names the plan; no OS or battery floor, so what drifts is only what staging does
        await using var server = await EdgeServer.StartAsync();
        var plan = SevenStepPlan();
        var pickers = server.Get<IBlueprints>().LoadAll().Single(b => string.Equals(b.Group, "pickers", StringComparison.Ordinal))
            with { StagingPlan = plan.Name, Os = null, BatteryHealthFloorPercent = null };
        await HubCatalog.ApplyAsync(
            server,
            new HubChange { Position = 1, AtUnixMs = 1_700_000_000_000, StagingPlanUpserted = new() { Name = plan.Name, PlanJson = StagingPlanJson.SerializeClear(plan), PlanHash = plan.ContentHash() } },
            new HubChange { Position = 2, AtUnixMs = 1_700_000_000_000, BlueprintUpserted = new() { Group = "pickers", BlueprintJson = JsonSerializer.Serialize(pickers, BlueprintJson.Default.Blueprint) } });
        var options = new SimulationOptions
        {
            Server = server.BaseAddress,
            EnrollmentToken = EdgeServer.Token,
            TlsPin = server.TlsPin,
            Devices = Devices,
            Duration = TimeSpan.FromMinutes(3),
            IntervalOverride = TimeSpan.FromSeconds(2),
            Mqtt = "none",
            Seed = 7,
            StagingTimeScale = 0.02,
            WifiFailFraction = 0.25,
        };
        var expectedStuck = Enumerable.Range(1, Devices).Where(i => FleetSimulator.FaultsOf(options, i).WifiFails).Select(i => FleetSimulator.SerialOf(options, i)).ToHashSet(StringComparer.Ordinal);
        Assert.InRange(expectedStuck.Count, 1, Devices - 1);
        var log = new StringWriter();
        using var stop = new CancellationTokenSource();
        var simulation = new FleetSimulator(options, log).RunAsync(stop.Token);

        // Act 1: wait until every device is either Active or stuck
        var first = await WaitForAsync(server, r => r.Devices.Count == Devices && r.InProgress == 0 && r.Devices.All(d => d.Outcome is StagingStatus.Done or StagingStatus.Stuck));

        // Assert 1: exactly the injected devices are stuck at wifi with the device's reason; the others are Active
        var stuck = first.Devices.Where(d => string.Equals(d.Outcome, StagingStatus.Stuck, StringComparison.Ordinal)).ToList();
        Assert.Equal(expectedStuck.Order(StringComparer.Ordinal), stuck.Select(d => d.Serial).Order(StringComparer.Ordinal));
        Assert.All(stuck, d => Assert.Equal(("wifi", "wifi: association with SSID dc-floor timed out (WPA2-PSK)", DeviceState.Staging.ToString()), (d.CurrentStep, d.Reason, d.DeviceState)));
        Assert.All(stuck, d => Assert.Equal(VirtualStaging.Attempts, d.Steps.Single(s => string.Equals(s.StepId, "wifi", StringComparison.Ordinal)).Attempts));
        Assert.All(first.Devices.Where(d => !expectedStuck.Contains(d.Serial)), d => Assert.Equal(DeviceState.Active.ToString(), d.DeviceState));

        // Act 2: the operator retries each stuck device (what 'edgemdm-edge staging retry DEVICE' queues)
        foreach (var device in stuck)
            await server.QueueCommandAsync(device.DeviceId, VirtualStaging.RetryCommand);
        var second = await WaitForAsync(server, r => r.Devices.Count == Devices && r.Devices.All(d => string.Equals(d.DeviceState, DeviceState.Active.ToString(), StringComparison.Ordinal)));
        await stop.CancelAsync();
        await simulation;

        // Assert 2: all Active, every step succeeded, the retries reported succeeded, no secret in the agent's log nor the appliance's
        Assert.Equal(Devices, second.Done);
        Assert.All(second.Devices, d => Assert.All(d.Steps, s => Assert.Equal(StagingStepStates.Succeeded, s.State)));
        Assert.All(stuck, d => Assert.Equal("succeeded", server.StatusOfOnlyCommand(d.DeviceId)));
        Assert.DoesNotContain(Psk, log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(Psk, StringComparison.Ordinal));
    }

    /// <summary>Polls the stored progress (what 'staging status' reads) until <paramref name="done"/>, for at most a minute.</summary>
    private static async Task<StagingStatusReport> WaitForAsync(EdgeServer server, Func<StagingStatusReport, bool> done)
    {
        var planSteps = new Dictionary<string, int>(StringComparer.Ordinal) { ["scanner-standard"] = 7 };
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        while (true)
        {
            var report = StagingStatus.Of(server.Get<IDeviceQueries>().NotRetired(), server.Get<IStagingProgressQueries>().Steps(), planSteps, server.Clock.GetUtcNow());
            if (done(report))
                return report;
            if (DateTimeOffset.UtcNow > deadline)
                Assert.Fail("staging did not get there in a minute: " + string.Join("; ", report.Devices.Select(d => $"{d.Serial} {d.DeviceState} {d.Outcome} {d.CurrentStep} {d.Reason}")));
            await Task.Delay(200);
        }
    }
}
