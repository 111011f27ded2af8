using System.Net.Http.Headers;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// A version change at the hub rolls out at a site to simulated fleets (real processes: hub, appliance, four
/// <c>edgemdm-agent simulate</c>): devices with full storage fail and retry until they install, devices on an
/// old OS keep the from version as incompatible, devices out of coverage stay offline, and the appliance's
/// <c>rollouts --json</c> counts each exactly.
/// </summary>
public sealed class RolloutTests
{
    private const string App = "com.edgemdm.sample.scanner";

    // The simulator's retry policy waits a minute after the first failure; storage comes back well before.
    private static readonly TimeSpan Simulation = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_rollout_converges_through_retries_and_the_site_counts_every_device_exactly()
    {
        // Arrange: the group runs 100 (the simulator's sample app); version 412 needs Android 11
        await using var hubWithSite = await HubWithSite.StartAsync("DC Rollout");
        var (hub, siteId, credential, edgeDirectory) = hubWithSite;
        await using var appliance = await ApplianceProcess.StartAsync(edgeDirectory, checkinIntervalSeconds: 2, hub: (hub.GrpcUrl, credential));
        await PutBlueprintAsync(hub, 100, rollout: null);
        var token = await hub.IssueTokenAsync(siteId, "pickers", uses: 100);
        await UploadAsync(hub, minOs: "11");

        // Act: the blueprint moves to 412 in two waves; four fleets check in
        await PutBlueprintAsync(hub, 412, new JsonObject
        {
            ["plan"] = new JsonObject
            {
                ["waves"] = new JsonArray(new JsonObject { ["kind"] = "percentage", ["cumulativePercent"] = 50 }, new JsonObject { ["kind"] = "percentage", ["cumulativePercent"] = 100 }),
                // Never halts: the full devices' first failures must not stop the others here (halts are the appliance tests').
                ["halt"] = new JsonObject { ["failureRateThreshold"] = 1, ["minFinishedDevices"] = 5 },
                ["waveAdvanceShare"] = 0.5,
            },
        });
        await WaitForRolloutsAsync(edgeDirectory, 2, r => r.GetArrayLength() == 1, appliance);
        await WaitForCachedAsync(edgeDirectory, appliance);
        var fleets = new[]
        {
            Simulate(appliance, token, "OK", 12),
            Simulate(appliance, token, "FULL", 3, "--storage-full", "1", "--storage-freed-after", "25s", "--install-retry-after", "2s"),
            Simulate(appliance, token, "OLD", 3, "--old-os", "1"),
            Simulate(appliance, token, "OFF", 2, "--offline", "1"),
        };
        var converged = await WaitForRolloutsAsync(edgeDirectory, 2, r => Counts(r) is { Installed: 15, Incompatible: 3, Offline: 2 }, appliance);
        var results = await Task.WhenAll(fleets);

        // Assert: every fleet ran without a failed request, and the counts are exact, with nothing failed or pending
        Assert.All(results, r => Assert.True(r.ExitCode == 0, $"simulate exited {r.ExitCode}: {r.Stdout}\n{r.Stderr}"));
        var full = JsonDocument.Parse(results[1].Stdout).RootElement;
        // The full devices failed first and installed on a retry. Their space comes back after 25 s, long after the
        // second wave opens; with 5 s, a run whose three full devices all fell in that wave saw no failure at all.
        Assert.True(full.GetProperty("installFailuresByReason").GetProperty("storage_full").GetInt64() >= 1, results[1].Stdout);
        Assert.Equal((12L, 3L), (JsonDocument.Parse(results[0].Stdout).RootElement.GetProperty("installs").GetInt64(), full.GetProperty("installs").GetInt64()));
        Assert.Equal((20, 15, 0, 0, 3, 2), Counts(converged));
        // Judged again once the fleets stopped, with the offline threshold far away: the same devices, the same states.
        var settled = await RolloutsAsync(edgeDirectory, 3600);
        var rollout = Assert.Single(settled.EnumerateArray());
        Assert.Equal((20, 15, 0, 0, 3, 2), Counts(settled));
        Assert.Equal((100L, 412L, 2), (rollout.GetProperty("fromVersionCode").GetInt64(), rollout.GetProperty("toVersionCode").GetInt64(), rollout.GetProperty("openWaves").GetInt32()));
        Assert.False(rollout.GetProperty("halted").GetBoolean());
    }

    private static Task<CommandResult> Simulate(ApplianceProcess appliance, string token, string prefix, int devices, params string[] knobs) =>
        Processes.RunAsync(
            Processes.AgentDll,
            ["simulate", .. appliance.AgentArgs, "--token", token, "--devices", devices.ToString(CultureInfo.InvariantCulture),
                "--duration", ((int)Simulation.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s", "--serial-prefix", prefix, "--json", .. knobs],
            Simulation + TimeSpan.FromMinutes(1));

    private static (int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline) Counts(JsonElement rollouts)
    {
        if (rollouts.GetArrayLength() != 1)
            return default;
        var counts = rollouts[0].GetProperty("counts");
        return (counts.GetProperty("devices").GetInt32(), counts.GetProperty("installed").GetInt32(), counts.GetProperty("pending").GetInt32(),
            counts.GetProperty("failed").GetInt32(), counts.GetProperty("incompatible").GetInt32(), counts.GetProperty("offline").GetInt32());
    }

    private static async Task<JsonElement> RolloutsAsync(string edgeDirectory, int checkinIntervalSeconds)
    {
        var result = await Processes.RunAsync(
            Processes.EdgeDll,
            ["rollouts", "--json", "--data-dir", edgeDirectory, "--checkin-interval", checkinIntervalSeconds.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    private static async Task<JsonElement> WaitForRolloutsAsync(string edgeDirectory, int checkinIntervalSeconds, Func<JsonElement, bool> done, ApplianceProcess appliance)
    {
        var deadline = DateTime.UtcNow + Simulation + TimeSpan.FromSeconds(30);
        while (true)
        {
            var rollouts = await RolloutsAsync(edgeDirectory, checkinIntervalSeconds);
            if (done(rollouts))
                return rollouts;
            Assert.True(DateTime.UtcNow < deadline, "the rollout never got there: " + rollouts + "\n" + appliance.Log);
            await Task.Delay(1000);
        }
    }

    /// <summary>Until the site holds the package, devices are told to come back in 30 s: start the fleets once it does.</summary>
    private static async Task WaitForCachedAsync(string edgeDirectory, ApplianceProcess appliance)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var result = await Processes.RunAsync(Processes.EdgeDll, ["cache", "status", "--json", "--data-dir", edgeDirectory], TimeSpan.FromSeconds(60));
            Assert.True(result.ExitCode == 0, result.Stderr);
            if (JsonDocument.Parse(result.Stdout).RootElement.GetProperty("blobs").GetInt32() == 1)
                return;
            Assert.True(DateTime.UtcNow < deadline, "the package never reached the site's cache: " + result.Stdout + "\n" + appliance.Log);
            await Task.Delay(500);
        }
    }

    private static async Task PutBlueprintAsync(HubProcess hub, long versionCode, JsonObject? rollout)
    {
        var app = new JsonObject { ["packageName"] = App, ["versionCode"] = versionCode, ["versionName"] = "1.0." + versionCode.ToString(CultureInfo.InvariantCulture) };
        if (rollout is not null)
            app["rollout"] = rollout;
        var blueprint = new JsonObject
        {
            ["group"] = "pickers",
            ["apps"] = new JsonArray(app),
            ["configurations"] = new JsonArray(),
            ["certificates"] = new JsonArray(),
        };
        using var response = await hub.Rest.PutAsJsonAsync("/api/v1/blueprints/pickers", blueprint);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task UploadAsync(HubProcess hub, string minOs)
    {
        var blob = new byte[256 * 1024];
        new Random(412).NextBytes(blob);
        using var upload = new ByteArrayContent(blob);
        upload.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var uploaded = await hub.Rest.PostAsync(new Uri($"/api/v1/packages?packageName={App}&versionCode=412&versionName=1.0.412&minOs={minOs}", UriKind.Relative), upload);
        Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
    }
}
