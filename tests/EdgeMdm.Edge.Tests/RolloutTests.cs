using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Rollouts at the site, on the real host: each device is declared the rollout's target or the version it started
/// from, as its wave, the rollout's halt, the maintenance window and its own OS allow; the tracker's counts come
/// from what devices report.
/// </summary>
public sealed partial class RolloutTests
{
    private const string RolloutId = "rollout-0001";
    private const long From = HubCatalog.SeedVersion;
    private const long Target = 200;

    private static readonly RolloutPlan HalfThenAll = new([new PercentageWave(50), new PercentageWave(100)], new HaltPolicy(0.5m, 5), Window: null);

    [Fact]
    public async Task Devices_of_an_unopened_wave_keep_the_from_version_until_the_first_wave_settled()
    {
        // Arrange: 20 devices running the from version (a 50 % wave of 20 is never empty in practice: 2 in a million)
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var (from, target, devices) = await RollingOutAsync(server, hub, HalfThenAll, 20, minOs: "13");

        // Act
        await WaitForRolloutAsync(server, s => s.Counts.Pending == 20);
        var first = devices.Where(d => WaveOf(d, HalfThenAll) == 0).ToList();
        var second = devices.Where(d => WaveOf(d, HalfThenAll) == 1).ToList();
        var firstDeclared = await DeclaredAsync(server, first);
        var secondDeclared = await DeclaredAsync(server, second);

        // Assert: wave 1 is offered the target with its package, wave 2 keeps the from version with its own package
        Assert.NotEmpty(first);
        Assert.NotEmpty(second);
        Assert.All(firstDeclared, d => Assert.Equal((Target, target.Sha256), (d.App.VersionCode, d.App.Package?.Sha256)));
        Assert.All(secondDeclared, d => Assert.Equal((From, from.Sha256, "v100"), (d.App.VersionCode, d.App.Package?.Sha256, d.App.VersionName)));
        Assert.Equal(1, Assert.Single(server.Get<ISiteRollouts>().Tracker.States).Progress.OpenWaves);

        // ...and once every device of the first wave reports the target installed, the second wave opens
        foreach (var device in first)
            await ReportAsync(server, device, installed: Target);
        await WaitForRolloutAsync(server, s => s.Progress.OpenWaves == 2);
        Assert.All(await DeclaredAsync(server, second), d => Assert.Equal(Target, d.App.VersionCode));
    }

    [Fact]
    public async Task A_quarantined_device_neither_counts_towards_a_wave_nor_holds_one_back()
    {
        // Arrange: a rollout over 4 devices, one of which leaves the floor
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var (_, _, devices) = await RollingOutAsync(server, hub, HalfThenAll, 4, minOs: "13");
        await WaitForRolloutAsync(server, s => s.Counts.Devices == 4);

        // Act
        var admin = server.Get<IDeviceAdmin>();
        await admin.TransitionAsync(devices[0].DeviceId, Domain.Lifecycle.DeviceState.Active, "test", "staged", server.Clock.GetUtcNow());
        Assert.NotNull((await admin.TransitionAsync(devices[0].DeviceId, Domain.Lifecycle.DeviceState.Quarantined, "test", "left the site", server.Clock.GetUtcNow())).Value);
        server.Get<ISiteRollouts>().Refresh(server.Clock.GetUtcNow());

        // Assert
        Assert.Equal(3, Assert.Single(server.Get<ISiteRollouts>().Tracker.States).Counts.Devices);
    }

    [Fact]
    public async Task A_rollout_replacing_one_under_way_holds_each_waiting_device_on_the_version_it_runs_never_a_downgrade()
    {
        // Arrange: 100 → 150 was under way (some devices got 150) when the hub replaced it with 150 → 200
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var (_, target) = await PublishAsync(server, hub, minOs: null);
        var replacing = new AppRollout(HalfThenAll)
        {
            Id = RolloutId, FromVersionCode = 150, FromVersionName = "1.5.0", KeptVersions = [new AppVersion(From, "1.0.0")],
        };
        await HubCatalog.ApplyAsync(server, hub.Blueprint(new Blueprint(
            "pickers", [new RequiredApp(HubCatalog.SeedApp, Target, target.Release.Manifest.VersionName) { Rollout = replacing }], null, [], [], null)));
        var onOld = await EnrollRunningAsync(server, 10, From, serialPrefix: "OLD");
        var onReplaced = await EnrollRunningAsync(server, 10, 150, serialPrefix: "MID");
        var fresh = await EnrollRunningAsync(server, 4, 0, serialPrefix: "NEW");
        await WaitForRolloutAsync(server, s => s.Counts.Pending == 24);

        // Act: the devices outside the open first wave
        static bool Waiting(EnrolledDevice d) => WaveOf(d, HalfThenAll) != 0;
        var old = await DeclaredAsync(server, onOld.Where(Waiting));
        var replaced = await DeclaredAsync(server, onReplaced.Where(Waiting));
        var none = await DeclaredAsync(server, fresh.Where(Waiting));

        // Assert: each keeps what it runs when the rollout lets it; a device on neither is declared the from version
        Assert.NotEmpty(old);
        Assert.NotEmpty(replaced);
        Assert.All(old, d => Assert.Equal(From, d.App.VersionCode));
        Assert.All(replaced, d => Assert.Equal(150L, d.App.VersionCode));
        Assert.All(none, d => Assert.Equal(150L, d.App.VersionCode));
        Assert.NotEqual(old[0].Token, replaced[0].Token);
    }

    [Fact]
    public async Task Each_variant_has_its_own_token_and_a_device_checkin_answers_the_token_of_its_variant()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var (_, _, devices) = await RollingOutAsync(server, hub, HalfThenAll, 20);

        // Act
        var declared = new List<(EnrolledDevice Device, string Token, string CheckinToken)>();
        foreach (var device in devices)
        {
            var document = await server.DeclarationsAsync(device.Secret);
            var checkin = await server.CheckinOkAsync(device.Secret, new CheckinRequest { DeclarationsToken = document.Token });
            declared.Add((device, document.Token, checkin.DeclarationsToken));
        }

        // Assert: two variants, two tokens, one per wave; each device's check-in hands out its own variant's token
        var tokens = declared.GroupBy(d => WaveOf(d.Device, HalfThenAll)).ToDictionary(g => g.Key, g => g.Select(d => d.Token).Distinct().ToList());
        Assert.Single(tokens[0]);
        Assert.Single(tokens[1]);
        Assert.NotEqual(tokens[0][0], tokens[1][0]);
        Assert.All(declared, d => Assert.Equal(d.Token, d.CheckinToken));
        using var notModified = EdgeServer.Authorized(HttpMethod.Get, "/api/v1/declarations", declared[0].Device.Secret);
        notModified.Headers.IfNoneMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{declared[0].Token}\""));
        using var response = await server.Http.SendAsync(notModified);
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task A_pilot_group_is_offered_the_target_first_and_the_others_follow_once_it_settled()
    {
        // Arrange: one rollout over two groups (same id), vehicle mounts as the pilot
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var (_, target) = await PublishAsync(server, hub, minOs: null);
        var plan = new RolloutPlan([new PilotWave("vehicle-mounts"), new PercentageWave(100)], HaltPolicy.Default, Window: null);
        await HubCatalog.ApplyAsync(server, hub.Blueprint(PickersRollingOut(target, plan)), hub.Blueprint(PickersRollingOut(target, plan) with { Group = "vehicle-mounts" }));
        var vehicleToken = await server.Get<ITokenStore>().CreateTokenAsync("vehicle-mounts", 10, server.Clock.GetUtcNow().AddDays(1), "test", server.Clock.GetUtcNow());
        var pickers = await EnrollRunningAsync(server, 3, From);
        var pilots = await EnrollRunningAsync(server, 2, From, vehicleToken.Token, "VM");

        // Act / Assert
        await AssertPilotsGoFirstAsync(server, pilots, pickers);
        Assert.Equal(["pickers", "vehicle-mounts"], Assert.Single(server.Get<ISiteRollouts>().Tracker.States).Rollout.Groups);
    }

    [Fact]
    public async Task A_pilot_group_of_serial_numbers_is_offered_the_target_first_within_the_group()
    {
        // Arrange: six pickers (serials SN-0 … SN-5); the plan's floor leads are SN-1 and SN-4
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var plan = new RolloutPlan(
            [new PilotWave("floor-leads"), new PercentageWave(100)], HaltPolicy.Default, Window: null,
            PilotGroups: new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["floor-leads"] = ["SN-1", "SN-4"] });
        var (_, _, devices) = await RollingOutAsync(server, hub, plan, 6);
        var leads = new[] { devices[1], devices[4] };

        // Act / Assert
        await AssertPilotsGoFirstAsync(server, leads, devices.Except(leads).ToList());
    }

    [Fact]
    public async Task A_wave_failing_past_the_threshold_halts_and_everyone_not_installed_is_declared_the_from_version_until_retries_succeed()
    {
        // Arrange: one wave, halted once more than 20 % of at least 3 finished installs failed
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var plan = new RolloutPlan([new PercentageWave(100)], new HaltPolicy(0.2m, 3), Window: null);
        var (_, _, devices) = await RollingOutAsync(server, hub, plan, 6);
        var (installed, failing, waiting) = (devices[0], devices[1..3], devices[3..]);
        Assert.All(await DeclaredAsync(server, devices), d => Assert.Equal(Target, d.App.VersionCode));

        // Act: one installs, two report storage full
        await ReportAsync(server, installed, installed: Target);
        foreach (var device in failing)
            await ReportAsync(server, device, installed: From, failure: InstallFailureReasons.StorageFull);
        var halted = await WaitForRolloutAsync(server, s => s.Progress.IsHalted);

        // Assert: halted with its reason; only the device that runs the target keeps it
        Assert.Equal((1, 2, 3), (halted.Counts.Installed, halted.Counts.Failed, halted.Counts.Pending));
        Assert.Equal(2, halted.Counts.FailedByReason[InstallFailureReason.StorageFull]);
        Assert.Equal(new HaltReason(0, 2, 3, 0.2m), halted.Progress.Halt);
        Assert.Equal(Target, (await DeclaredAsync(server, installed)).App.VersionCode);
        Assert.All(await DeclaredAsync(server, failing.Concat(waiting)), d => Assert.Equal(From, d.App.VersionCode));
        Assert.Contains("wave 1: 2 of 3", RolloutView.Of(halted).HaltReason, StringComparison.Ordinal);

        // ...and when the failed devices install after all (storage freed), the halt lifts by itself
        foreach (var device in failing)
            await ReportAsync(server, device, installed: Target);
        await WaitForRolloutAsync(server, s => !s.Progress.IsHalted && s.Counts.Installed == 3);
        Assert.All(await DeclaredAsync(server, waiting), d => Assert.Equal(Target, d.App.VersionCode));
    }

    private sealed record Declared(AppDeclaration App, string Token);

    /// <summary>
    /// Both versions published, the pickers blueprint rolling out the target by <paramref name="plan"/>, and
    /// <paramref name="count"/> pickers enrolled running the from version.
    /// </summary>
    private static async Task<(TestPackage From, TestPackage Target, List<EnrolledDevice> Devices)> RollingOutAsync(
        EdgeServer server, HubCatalog hub, RolloutPlan plan, int count, string? minOs = null)
    {
        var (from, target) = await PublishAsync(server, hub, minOs);
        await HubCatalog.ApplyAsync(server, hub.Blueprint(PickersRollingOut(target, plan)));
        return (from, target, await EnrollRunningAsync(server, count, From));
    }

    /// <summary>
    /// A pilot wave's promise: the pilots are offered the target while the others keep the from version, and
    /// once every pilot reports the target installed, the next wave opens and the others are offered it too.
    /// </summary>
    private static async Task AssertPilotsGoFirstAsync(EdgeServer server, IReadOnlyList<EnrolledDevice> pilots, List<EnrolledDevice> others)
    {
        await WaitForRolloutAsync(server, s => s.Counts.Pending == pilots.Count + others.Count);
        Assert.All(await DeclaredAsync(server, pilots), d => Assert.Equal(Target, d.App.VersionCode));
        Assert.All(await DeclaredAsync(server, others), d => Assert.Equal(From, d.App.VersionCode));

        foreach (var pilot in pilots)
            await ReportAsync(server, pilot, installed: Target);
        await WaitForRolloutAsync(server, s => s.Progress.OpenWaves == 2);
        Assert.All(await DeclaredAsync(server, others), d => Assert.Equal(Target, d.App.VersionCode));
    }

    private static async Task<(TestPackage From, TestPackage Target)> PublishAsync(EdgeServer server, HubCatalog hub, string? minOs)
    {
        var from = hub.Package(HubCatalog.SeedApp, From, 2_000);
        var target = hub.Package(HubCatalog.SeedApp, Target, 3_000, minOs);
        await HubCatalog.ApplyAsync(server, hub.Key(), hub.Published(from), hub.Published(target));
        return (from, target);
    }

    /// <summary>The pickers blueprint moved to <paramref name="target"/> as the hub sends it: with the rollout's id and from-version.</summary>
    private static Blueprint PickersRollingOut(TestPackage target, RolloutPlan plan) =>
        new("pickers",
            [new RequiredApp(HubCatalog.SeedApp, target.Release.Manifest.VersionCode, target.Release.Manifest.VersionName)
            {
                Rollout = new AppRollout(plan) { Id = RolloutId, FromVersionCode = From, FromVersionName = "1.0.0" },
            }],
            null, [], [], null);

    private static async Task<List<EnrolledDevice>> EnrollRunningAsync(
        EdgeServer server, int count, long runs, string token = EdgeServer.Token, string serialPrefix = "SN", string osVersion = "14")
    {
        var devices = new List<EnrolledDevice>();
        for (var i = 0; i < count; i++)
        {
            using var response = await server.Http.PostAsJsonAsync(
                "/api/v1/enroll", EdgeServer.Enrollment($"{serialPrefix}-{i}", token) with { OsVersion = osVersion }, DeviceProtocolJson.Default.EnrollRequest);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var enrolled = (await response.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.EnrollResponse))!;
            var device = new EnrolledDevice(enrolled.DeviceId, enrolled.DeviceSecret);
            await ReportAsync(server, device, runs, osVersion: osVersion);
            devices.Add(device);
        }

        return devices;
    }

    private static Task<CheckinResponse> ReportAsync(EdgeServer server, EnrolledDevice device, long installed, string? failure = null, string osVersion = "14") =>
        server.CheckinOkAsync(device.Secret, new CheckinRequest
        {
            Status = new DeviceStatus
            {
                Apps = [new InstalledApp { PackageName = HubCatalog.SeedApp, VersionCode = installed, VersionName = "v" + installed }],
                Os = new OsStatus { Version = osVersion },
                InstallFailures = failure is null
                    ? []
                    : [new Contracts.Device.InstallFailure { PackageName = HubCatalog.SeedApp, VersionCode = Target, Reason = failure, At = server.Clock.GetUtcNow() }],
            },
        });

    private static async Task<Declared> DeclaredAsync(EdgeServer server, EnrolledDevice device)
    {
        var document = await server.DeclarationsAsync(device.Secret);
        return new Declared(Assert.Single(document.Apps), document.Token);
    }

    private static Task<Declared[]> DeclaredAsync(EdgeServer server, IEnumerable<EnrolledDevice> devices) =>
        Task.WhenAll(devices.Select(d => DeclaredAsync(server, d)));

    private static int WaveOf(EnrolledDevice device, RolloutPlan plan) => WaveAssignment.WaveOf(plan, RolloutId, device.DeviceId, ["pickers"]);

    /// <summary>Waits (real time, 10 s at most) for the background refresh to publish a state that satisfies <paramref name="done"/>.</summary>
    private static async Task<RolloutState> WaitForRolloutAsync(EdgeServer server, Func<RolloutState, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var state = Assert.Single(server.Get<ISiteRollouts>().Tracker.States);
            if (done(state))
                return state;
            Assert.True(DateTime.UtcNow < deadline, $"rollout still at {RolloutView.Of(state).Counts}, {state.Progress.OpenWaves} waves open, halt: {state.Progress.Halt}");
            await Task.Delay(20);
        }
    }
}
