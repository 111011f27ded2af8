using System.Text.Json.Nodes;

namespace EdgeMdm.Cli.Tests;

/// <summary><c>rollouts list</c> (every rollout, no package name) and <c>rollouts show --watch</c> against the fake hub.</summary>
public sealed class RolloutsListAndWatchTests : SignedInCliTest
{
    [Fact]
    public async Task List_shows_every_rollout_with_its_progress_and_status_without_a_package_name()
    {
        // Arrange
        Hub.Rollouts["com.acme.scan"] = [Rollout("com.acme.scan", "pickers", installed: 3, devices: 20, finished: false, "wave 1 (10%): waiting on 1 offline device, 14 min")];
        Hub.Rollouts["com.acme.pick"] = [Rollout("com.acme.pick", "packers", installed: 8, devices: 8, finished: true, "finished")];

        // Act
        var result = await Cli.RunAsync("rollouts", "list");
        var json = await Cli.RunAsync("rollouts", "list", "--json");

        // Assert
        Assert.Equal((0, ""), (result.Exit, result.Err));
        var lines = result.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches("^PACKAGE +GROUP +FROM +TO +STARTED +INSTALLED +STATUS$", lines[0]);
        Assert.Matches(@"^com\.acme\.pick +packers +100 \(1\.0\.0\) +120 \(1\.2\.0\) +\S+ \S+ +8/8 +finished$", lines[1]);
        Assert.Matches(@"^com\.acme\.scan +pickers .* 3/20 +wave 1 \(10%\): waiting on 1 offline device, 14 min$", lines[2]);
        Assert.Contains("GET /api/v1/rollouts", Hub.Requests);
        Assert.Equal(0, json.Exit);
        Assert.Equal(["com.acme.pick", "com.acme.scan"], JsonNode.Parse(json.Out)!.AsArray().Select(r => (string)r!["packageName"]!));
    }

    [Fact]
    public async Task List_without_any_rollout_says_how_one_starts()
    {
        // Act
        var result = await Cli.RunAsync("rollouts", "list");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.StartsWith("no rollout: one starts when a blueprint changes the version code", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_redraws_a_progress_bar_until_the_rollout_finishes_then_exits_by_itself()
    {
        // Arrange: the hub answers wave 1 held, then the rollout finished
        Hub.RolloutFrames.Enqueue([Rollout("com.acme.scan", "pickers", installed: 5, devices: 20, finished: false, "wave 1 (10%): waiting for 1 of 2 devices to settle (threshold 95 %)")]);
        Hub.RolloutFrames.Enqueue([Rollout("com.acme.scan", "pickers", installed: 20, devices: 20, finished: true, "finished")]);

        // Act
        var result = await Cli.RunAsync("rollouts", "show", "--package-name", "com.acme.scan", "--watch", "--watch-interval", "1s");

        // Assert
        Assert.Equal((0, ""), (result.Exit, result.Err));
        Assert.Contains("  dc-lyon      [███████░░░░░░░░░░░░░░░░░░░░░░░]  25 % installed (5/20)  wave 1 (10%): waiting for 1 of 2 devices to settle (threshold 95 %)\n", result.Out, StringComparison.Ordinal);
        Assert.Contains("  dc-lyon      [██████████████████████████████] 100 % installed (20/20)  finished\n", result.Out, StringComparison.Ordinal);
        Assert.EndsWith("the rollout finished\n", result.Out, StringComparison.Ordinal);
        Assert.Equal(2, Hub.Requests.Count(r => r.StartsWith("GET /api/v1/rollouts?packageName=com.acme.scan", StringComparison.Ordinal)));
        Assert.Empty(Hub.RolloutFrames);
    }

    [Theory]
    [InlineData("--watch-interval", "500ms")]
    [InlineData("--watch-interval", "2h")]
    [InlineData("--watch-interval", "soon")]
    [InlineData("--json", "")]
    public async Task Watch_refuses_an_interval_out_of_bounds_and_json_with_exit_2(string option, string value)
    {
        // Act
        string[] args = ["rollouts", "show", "--package-name", "com.acme.scan", "--watch", option, .. value.Length == 0 ? Array.Empty<string>() : [value]];
        var result = await Cli.RunAsync(args);

        // Assert
        Assert.Equal(2, result.Exit);
        Assert.Single(result.ErrLines);
        Assert.DoesNotContain(Hub.Requests, r => r.StartsWith("GET /api/v1/rollouts", StringComparison.Ordinal));
    }

    private static JsonObject Rollout(string packageName, string group, int installed, int devices, bool finished, string status) => new()
    {
        ["rolloutId"] = "r-" + packageName,
        ["group"] = group,
        ["packageName"] = packageName,
        ["fromVersionCode"] = 100,
        ["fromVersionName"] = "1.0.0",
        ["toVersionCode"] = 120,
        ["toVersionName"] = "1.2.0",
        ["startedAt"] = "2026-12-06T09:00:00+00:00",
        ["sites"] = new JsonArray(new JsonObject
        {
            ["siteId"] = "dc-lyon", ["counts"] = Counts(devices, installed), ["waves"] = new JsonArray(), ["openWaves"] = 1, ["finished"] = finished, ["status"] = status,
        }),
        ["total"] = Counts(devices, installed),
        ["stragglers"] = new JsonArray(),
        ["finished"] = finished,
        ["status"] = status,
    };

    private static JsonObject Counts(int devices, int installed) => new()
    {
        ["devices"] = devices, ["installed"] = installed, ["pending"] = devices - installed, ["failed"] = 0, ["incompatible"] = 0, ["offline"] = 0,
        ["failedByReason"] = new JsonObject(),
    };
}
