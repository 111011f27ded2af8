using EdgeMdm.Domain.Staging;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Agent.Tests;

public sealed class VirtualDeviceStagingTests : IAsyncLifetime
{
    public const string Psk = "floor-key-7f3k-never-logged";

    private FakeAppliance _appliance = null!;

    public async Task InitializeAsync() => _appliance = await FakeAppliance.StartAsync();

    public async Task DisposeAsync() => await _appliance.DisposeAsync();

    /// <summary>Seven steps, one of each kind; installApps names the app the floor declarations add.</summary>
    public static StagingPlan SevenStepPlan() => new("scanner-standard",
    [
        new EnrollStep(),
        new ManagedConfigStep("com.zebra.oemconfig.common", new Dictionary<string, string>(StringComparer.Ordinal) { ["scanner.decoders.qr"] = "true" }),
        new InstallAppsStep(["com.acme.pick"]),
        new WifiStep("dc-floor", WifiSecurity.Wpa2Psk, new Secret(Psk)),
        new PairPeripheralStep("ring-scanner", "00:1B:*"),
        new SettingsStep(new Dictionary<string, string>(StringComparer.Ordinal) { ["screen.timeoutSeconds"] = "300" }),
        new VerifyStep(),
    ]);

    [Fact]
    public void Seven_step_plan_runs_to_all_succeeded_with_realistic_durations()
    {
        var clock = TestData.Clock();
        var device = StagingDevice(clock);

        RunUntil(clock, device, () => device.StagingRun.Steps.All(s => string.Equals(s.State, StagingStepStates.Succeeded, StringComparison.Ordinal)), TimeSpan.FromMinutes(15));

        var steps = device.StagingRun.Steps;
        Assert.Equal(["enroll", "managedConfig", "installApps", "wifi", "pairPeripheral", "settings", "verify"], steps.Select(s => s.StepId));
        Assert.All(steps, s => Assert.Equal((StagingStepStates.Succeeded, 1, (string?)null), (s.State, s.Attempts, s.Error)));
        Assert.Equal(TimeSpan.Zero, Took(steps[0]));
        Assert.InRange(Took(steps[1]), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        Assert.InRange(Took(steps[3]), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(8));
        Assert.InRange(Took(steps[4]), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15));
        Assert.InRange(Took(steps[5]), TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(1.2));
        for (var i = 1; i < steps.Count; i++)
            Assert.True(steps[i].StartedAt >= steps[i - 1].FinishedAt, $"step {steps[i].StepId} started before {steps[i - 1].StepId} finished");
        var staging = device.Staging!;
        Assert.Equal(("scanner-standard", SevenStepPlan().ContentHash(), 7, 7), (staging.Plan, staging.PlanHash, staging.CompletedSteps, staging.TotalSteps));
        Assert.Null(device.StagingRun.NextChangeIn);
    }

    [Fact]
    public void Verify_waits_until_the_declarations_are_carried_out()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        device.DownloadFailureRate = 0;
        device.StagingRun.Start(new StagingPlan("verify-only", [new EnrollStep(), new VerifyStep()]));

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(StagingStepStates.Running, device.StagingRun.Steps[1].State); // no declarations yet: drift unknown

        device.ApplyDeclarations(TestData.FloorDeclarations());
        RunUntil(clock, device, () => string.Equals(device.StagingRun.Steps[1].State, StagingStepStates.Succeeded, StringComparison.Ordinal), TimeSpan.FromMinutes(15));

        Assert.Empty(device.PendingSteps);
        Assert.True(device.StagingRun.Steps[1].FinishedAt >= clock.GetUtcNow() - TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Wifi_failure_is_tried_three_times_then_stays_failed_with_its_reason()
    {
        var clock = TestData.Clock();
        var device = StagingDevice(clock, wifiFails: true);

        RunUntil(clock, device, () => string.Equals(device.StagingRun.Steps[3].State, StagingStepStates.Failed, StringComparison.Ordinal), TimeSpan.FromMinutes(15));
        clock.Advance(TimeSpan.FromHours(1));

        var wifi = device.StagingRun.Steps[3];
        Assert.Equal((StagingStepStates.Failed, VirtualStaging.Attempts), (wifi.State, wifi.Attempts));
        Assert.Equal("wifi: association with SSID dc-floor timed out (WPA2-PSK)", wifi.Error);
        Assert.All(device.StagingRun.Steps.Skip(4), s => Assert.Equal((StagingStepStates.Pending, 0), (s.State, s.Attempts)));
        Assert.Equal("wifi (failed: wifi: association with SSID dc-floor timed out (WPA2-PSK))", device.Staging!.CurrentStep);
        Assert.Null(device.StagingRun.NextChangeIn); // stuck: nothing to check in early for
    }

    [Fact]
    public void Missing_peripheral_fails_the_pairing_step_with_its_reason()
    {
        var clock = TestData.Clock();
        var device = StagingDevice(clock);
        device.StagingRun.PeripheralMissing = true;

        RunUntil(clock, device, () => string.Equals(device.StagingRun.Steps[4].State, StagingStepStates.Failed, StringComparison.Ordinal), TimeSpan.FromMinutes(15));

        Assert.Equal("no ring-scanner matching 00:1B:* found", device.StagingRun.Steps[4].Error);
    }

    [Fact]
    public void Retry_command_reruns_the_failed_step_and_the_plan_completes()
    {
        var clock = TestData.Clock();
        var device = StagingDevice(clock, wifiFails: true);
        RunUntil(clock, device, () => string.Equals(device.StagingRun.Steps[3].State, StagingStepStates.Failed, StringComparison.Ordinal), TimeSpan.FromMinutes(15));

        var result = device.Commands.Execute(TestData.Command("cmd-retry", VirtualStaging.RetryCommand))!;
        RunUntil(clock, device, () => device.StagingRun.Steps.All(s => string.Equals(s.State, StagingStepStates.Succeeded, StringComparison.Ordinal)), TimeSpan.FromMinutes(15));

        Assert.Equal((VirtualCommands.Succeeded, "staging step wifi running again"), (result.Status, result.Message));
        var wifi = device.StagingRun.Steps[3];
        Assert.Equal((VirtualStaging.Attempts + 1, (string?)null), (wifi.Attempts, wifi.Error));
    }

    [Fact]
    public void Retry_of_a_step_the_plan_lacks_or_with_nothing_failed_is_refused()
    {
        var clock = TestData.Clock();
        var device = StagingDevice(clock);
        RunUntil(clock, device, () => device.StagingRun.Steps.All(s => string.Equals(s.State, StagingStepStates.Succeeded, StringComparison.Ordinal)), TimeSpan.FromMinutes(15));

        var unknown = device.Commands.Execute(TestData.Command("cmd-1", VirtualStaging.RetryCommand, ("step", "printer")))!;
        var nothing = device.Commands.Execute(TestData.Command("cmd-2", VirtualStaging.RetryCommand))!;
        var noPlan = TestData.Device(clock).Commands.Execute(TestData.Command("cmd-3", VirtualStaging.RetryCommand))!;

        Assert.Equal(VirtualCommands.Failed, unknown.Status);
        Assert.Equal("step 'printer' is not in staging plan 'scanner-standard' (its steps: enroll, managedConfig, installApps, wifi, pairPeripheral, settings, verify)", unknown.Message);
        Assert.Equal((VirtualCommands.Failed, "no failed staging step to retry"), (nothing.Status, nothing.Message));
        Assert.Equal((VirtualCommands.Failed, "no staging plan on this device: nothing to retry"), (noPlan.Status, noPlan.Message));
        Assert.All(device.StagingRun.Steps, s => Assert.Equal(StagingStepStates.Succeeded, s.State));
    }

    [Fact]
    public void Full_storage_fails_the_install_step_with_the_install_reason()
    {
        var clock = TestData.Clock();
        var device = StagingDevice(clock);
        device.SetFreeBytes(VirtualDevice.InstallSpaceNeeded(new AppDeclaration("com.acme.pick", 310, "3.1.0")) - 1);

        RunUntil(clock, device, () => string.Equals(device.StagingRun.Steps[2].State, StagingStepStates.Failed, StringComparison.Ordinal), TimeSpan.FromMinutes(15));

        var install = device.StagingRun.Steps[2];
        Assert.StartsWith("installApps: com.acme.pick 3.1.0: storage full: needs ", install.Error, StringComparison.Ordinal);
        Assert.Equal(VirtualStaging.Attempts, install.Attempts);
    }

    [Fact]
    public async Task Agent_fetches_the_plan_reports_each_step_and_never_logs_or_reports_a_secret()
    {
        // The group declares no app (installs take half a minute and more), so installApps has nothing to wait for.
        _appliance.StagingPlan = SevenStepPlan() with { Steps = [.. SevenStepPlan().Steps.Select(s => s is InstallAppsStep ? new InstallAppsStep([]) : s)] };
        var log = new StringWriter();
        var options = new SimulationOptions
        {
            Server = _appliance.BaseAddress,
            EnrollmentToken = _appliance.EnrollmentToken,
            TlsPin = _appliance.Pin,
            Devices = 2,
            Duration = TimeSpan.FromSeconds(8),
            IntervalOverride = TimeSpan.FromSeconds(4), // two check-ins a device at most, were it not for staging
            Mqtt = "none",
            StagingTimeScale = 0.02,
            WifiFailFraction = 1,
            SampleApp = null,
        };

        await new FleetSimulator(options, log).RunAsync();

        var checkins = _appliance.Requests.Where(r => string.Equals(r.Path, "/api/v1/checkin", StringComparison.Ordinal)).Select(r => r.Body).ToList();
        Assert.Contains(checkins, body => body.Contains("\"state\":\"failed\"", StringComparison.Ordinal)
            && body.Contains("wifi: association with SSID dc-floor timed out (WPA2-PSK)", StringComparison.Ordinal));
        Assert.Equal(2, _appliance.Requests.Count(r => string.Equals(r.Path, "/api/v1/staging/plan", StringComparison.Ordinal)));
        Assert.True(checkins.Count > 4, $"{checkins.Count} check-ins: the 4 s interval alone allows 2 a device in 8 s; staging checks in as steps change");
        Assert.DoesNotContain(Psk, log.ToString(), StringComparison.Ordinal);
        Assert.All(checkins, body => Assert.DoesNotContain(Psk, body, StringComparison.Ordinal));
    }

    private static VirtualDevice StagingDevice(FakeTimeProvider clock, bool wifiFails = false)
    {
        var device = TestData.Device(clock);
        device.DownloadFailureRate = 0;
        device.StagingRun.WifiAssociationFails = wifiFails;
        device.ApplyDeclarations(TestData.FloorDeclarations());
        device.StagingRun.Start(SevenStepPlan());
        return device;
    }

    private static TimeSpan Took(StagingStepReport step) => step.FinishedAt!.Value - step.StartedAt!.Value;

    private static void RunUntil(FakeTimeProvider clock, VirtualDevice device, Func<bool> done, TimeSpan limit) =>
        TestData.RunUntil(clock, device, done, limit, TimeSpan.FromSeconds(1));
}
