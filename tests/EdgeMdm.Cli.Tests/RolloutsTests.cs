using System.Globalization;
using System.Text.Json.Nodes;
using EdgeMdm.Cli.Blueprints;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Cli.Tests;

public sealed class RolloutsTests : SignedInCliTest
{
    private static readonly DateTimeOffset Started = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    [Fact]
    public async Task Show_prints_waves_or_the_halt_per_site_the_counts_and_the_stragglers()
    {
        // Arrange
        Hub.Rollouts["com.acme.scan"] = [Rollout()];

        // Act
        var result = await Cli.RunAsync("rollouts", "show", "--package-name", "com.acme.scan");

        // Assert
        Assert.Equal((0, ""), (result.Exit, result.Err));
        string[] expected =
        [
            $"group pickers: com.acme.scan 100 (1.0.0) → 120 (1.2.0), started {Local(Started)}, min OS 13",
            "  dc-lyon: waves: pilots ✓, 10% ✓, 50% open, 100% closed",
            "    " + LyonWaiting,
            "  dc-paris: HALTED: wave 1: 3 of 5 finished installs failed (60 %), more than the 20 % threshold (waves: pilots open, 10% closed, 50% closed, 100% closed)",
            "",
            "SITE      DEVICES  INSTALLED  PENDING  FAILED  INCOMPATIBLE  OFFLINE  FAILURES",
            "dc-lyon   10       6          2        0       1             1        -",
            "dc-paris  8        2          2        3       0             1        download_failed 1, storage_full 2",
            "total     18       8          4        3       1             2        download_failed 1, storage_full 2",
            "",
            "stragglers (chased, not waited for; oldest check-in first):",
            "SITE      DEVICE  SERIAL  STATE    REASON        LAST CHECK-IN",
            "dc-paris  d-9     -       offline  -             never",
            $"dc-paris  d-3     SN-3    failed   storage_full  {Local(Started.AddHours(1))}",
        ];
        Assert.Equal(expected, result.Out.TrimEnd('\n').Split('\n'));
        Assert.Contains("GET /api/v1/rollouts?packageName=com.acme.scan", Hub.Requests);
    }

    [Fact]
    public async Task Show_json_prints_the_hubs_answer_and_site_is_passed_on()
    {
        // Arrange
        Hub.Rollouts["com.acme.scan"] = [Rollout()];

        // Act
        var result = await Cli.RunAsync("rollouts", "show", "--package-name", "com.acme.scan", "--site", "dc-lyon", "--json");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.True(JsonNode.DeepEquals(Hub.Rollouts["com.acme.scan"], JsonNode.Parse(result.Out)));
        Assert.Contains("GET /api/v1/rollouts?packageName=com.acme.scan&site=dc-lyon", Hub.Requests);
    }

    [Fact]
    public async Task A_package_nobody_rolls_out_is_one_line_and_exit_1_and_a_missing_name_is_exit_2()
    {
        // Act
        var unknown = await Cli.RunAsync("rollouts", "show", "--package-name", "com.acme.none");
        var missing = await Cli.RunAsync("rollouts", "show");

        // Assert
        Assert.Equal(1, unknown.Exit);
        Assert.Equal(["edgemdm: Not found: no group is rolling out 'com.acme.none'"], unknown.ErrLines);
        Assert.Equal(2, missing.Exit);
        Assert.Single(missing.ErrLines);
        Assert.Contains("--package-name", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_without_a_plan_is_no_change_against_the_hubs_copy_carrying_the_default_plan_of_its_rollout()
    {
        // Arrange: the hub's copy after 100 → 120 started a rollout with the default plan
        var file = Blueprint.Empty("pickers") with { Apps = [new RequiredApp("com.acme.scan", 120, "1.2.0")] };
        var held = file with
        {
            Apps = [new RequiredApp("com.acme.scan", 120, "1.2.0") { Rollout = new AppRollout(RolloutPlan.Default) { Id = "r1", FromVersionCode = 100, FromVersionName = "1.0.0" } }],
        };
        var planned = file with
        {
            Apps = [new RequiredApp("com.acme.scan", 120, "1.2.0") { Rollout = new AppRollout(RolloutPlan.Default with { Waves = [new PercentageWave(100)] }) }],
        };

        // Act
        var same = BlueprintPlan.Compare([file], [held]);
        var changed = BlueprintPlan.Compare([planned], [held]);

        // Assert
        Assert.Empty(same);
        Assert.Equal("~ group pickers: apps com.acme.scan rollout plan changed", Assert.Single(changed).Line);
    }

    private static string Local(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static JsonObject Counts(int devices, int installed, int pending, int failed, int incompatible, int offline, int storageFull = 0, int downloadFailed = 0) => new()
    {
        ["devices"] = devices, ["installed"] = installed, ["pending"] = pending, ["failed"] = failed, ["incompatible"] = incompatible, ["offline"] = offline,
        ["failedByReason"] = new JsonObject { ["download_failed"] = downloadFailed, ["other"] = 0, ["storage_full"] = storageFull },
    };

    private const string LyonWaiting = "wave 3 (50%): waiting on 1 offline device, 14 min (stragglers after 15 min), time limit in 12 min";

    private static readonly string[] WaveLabels = ["pilots", "10%", "50%", "100%"];

    private static JsonArray Waves(params string[] states) => new(
        states.Select((state, i) => (JsonNode)new JsonObject { ["wave"] = i, ["label"] = WaveLabels[i], ["state"] = state }).ToArray());

    /// <summary>A hub answer's element, in the shape GET /api/v1/rollouts gives.</summary>
    private static JsonObject Rollout() => new()
    {
        ["rolloutId"] = "0193a0b0c0d0700080000000000000aa",
        ["group"] = "pickers",
        ["packageName"] = "com.acme.scan",
        ["fromVersionCode"] = 100,
        ["fromVersionName"] = "1.0.0",
        ["toVersionCode"] = 120,
        ["toVersionName"] = "1.2.0",
        ["minOsVersion"] = "13",
        ["startedAt"] = Started.ToString("O", CultureInfo.InvariantCulture),
        ["sites"] = new JsonArray(
            new JsonObject
            {
                ["siteId"] = "dc-lyon", ["counts"] = Counts(10, 6, 2, 0, 1, 1), ["waves"] = Waves("done", "done", "open", "closed"), ["openWaves"] = 3,
                ["finished"] = false, ["status"] = LyonWaiting,
            },
            new JsonObject
            {
                ["siteId"] = "dc-paris", ["counts"] = Counts(8, 2, 2, 3, 0, 1, storageFull: 2, downloadFailed: 1), ["waves"] = Waves("open", "closed", "closed", "closed"),
                ["openWaves"] = 1, ["halted"] = "wave 1: 3 of 5 finished installs failed (60 %), more than the 20 % threshold",
            }),
        ["total"] = Counts(18, 8, 4, 3, 1, 2, storageFull: 2, downloadFailed: 1),
        ["finished"] = false,
        ["status"] = "dc-lyon: " + LyonWaiting + "; dc-paris: halted: wave 1: 3 of 5 finished installs failed (60 %), more than the 20 % threshold",
        ["stragglers"] = new JsonArray(
            new JsonObject { ["siteId"] = "dc-paris", ["deviceId"] = "d-9", ["serial"] = "", ["state"] = "offline" },
            new JsonObject
            {
                ["siteId"] = "dc-paris", ["deviceId"] = "d-3", ["serial"] = "SN-3", ["state"] = "failed", ["reason"] = "storage_full",
                ["lastCheckIn"] = Started.AddHours(1).ToString("O", CultureInfo.InvariantCulture),
            }),
    };
}
