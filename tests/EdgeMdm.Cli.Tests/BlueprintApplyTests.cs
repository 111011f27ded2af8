namespace EdgeMdm.Cli.Tests;

public sealed class BlueprintApplyTests : SignedInCliTest
{
    private static readonly string V1 = Path.Combine(AppContext.BaseDirectory, "testdata", "blueprints-v1.yaml");
    private static readonly string V1Reordered = Path.Combine(AppContext.BaseDirectory, "testdata", "blueprints-v1-reordered.yaml");
    private static readonly string V2 = Path.Combine(AppContext.BaseDirectory, "testdata", "blueprints-v2.yaml");

    [Fact]
    public async Task Apply_creates_every_blueprint_of_the_file()
    {
        // Act
        var result = await Cli.RunAsync("blueprints", "apply", "-f", V1);

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Equal(["pickers", "vehicle-mounts"], Hub.Blueprints.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("+ group pickers (new)", result.OutLines);
        Assert.Contains("+ group vehicle-mounts (new)", result.OutLines);
        Assert.Equal("applied: 2 create, 0 change, 0 delete", result.OutLines[^1]);
        var pickers = Hub.Blueprints["pickers"];
        Assert.Equal(100, Assert.Single(pickers.Apps).VersionCode);
        Assert.Equal(new DateOnly(2025, 6, 1), pickers.Os!.MinSecurityPatch);
        Assert.Equal("WH-FLOOR", Assert.Single(pickers.Configurations).Values["ssid"]);
        Assert.Equal(75, pickers.BatteryHealthFloorPercent);
    }

    [Fact]
    public async Task Applying_the_same_file_again_says_no_changes_and_writes_nothing()
    {
        // Arrange
        await Cli.RunAsync("blueprints", "apply", "-f", V1);
        var writesBefore = Hub.Writes.Count;

        // Act
        var again = await Cli.RunAsync("blueprints", "apply", "-f", V1);
        var reordered = await Cli.RunAsync("blueprints", "apply", "--file", V1Reordered);

        // Assert
        Assert.Equal(0, again.Exit);
        Assert.Equal(["no changes"], again.OutLines);
        Assert.Equal(0, reordered.Exit);
        Assert.Equal(["no changes"], reordered.OutLines);
        Assert.Equal(writesBefore, Hub.Writes.Count);
    }

    [Fact]
    public async Task Apply_updates_changed_groups_creates_new_ones_and_deletes_groups_not_in_the_file()
    {
        // Arrange
        await Cli.RunAsync("blueprints", "apply", "-f", V1);

        // Act
        var result = await Cli.RunAsync("blueprints", "apply", "-f", V2);

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Equal(["pickers", "returns"], Hub.Blueprints.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(120, Hub.Blueprints["pickers"].Apps[0].VersionCode);
        Assert.Contains("DELETE /api/v1/blueprints/vehicle-mounts", Hub.Writes);
        Assert.Equal("applied: 1 create, 1 change, 1 delete", result.OutLines[^1]);
    }

    [Fact]
    public async Task Dry_run_prints_the_full_diff_and_sends_nothing()
    {
        // Arrange
        await Cli.RunAsync("blueprints", "apply", "-f", V1);
        var writesBefore = Hub.Writes.Count;

        // Act
        var result = await Cli.RunAsync("blueprints", "apply", "-f", V2, "--dry-run");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Equal(
            [
                "~ group pickers: apps com.edgemdm.sample.scanner 100 (1.0.0) → 120 (1.2.0); os.minVersion 13 → 14; configurations wifi-floor changed",
                "+ group returns (new)",
                "- group vehicle-mounts (deleted)",
                "dry run: 1 to create, 1 to change, 1 to delete; nothing was sent",
            ],
            result.OutLines);
        Assert.Equal(writesBefore, Hub.Writes.Count);
        Assert.Equal(["pickers", "vehicle-mounts"], Hub.Blueprints.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Dry_run_json_lists_the_changes()
    {
        // Act
        var result = await Cli.RunAsync("blueprints", "apply", "-f", V1, "--dry-run", "--json");

        // Assert
        Assert.Equal(0, result.Exit);
        using var json = JsonDocument.Parse(result.Out);
        Assert.True(json.RootElement.GetProperty("dryRun").GetBoolean());
        var changes = json.RootElement.GetProperty("changes");
        Assert.Equal(JsonValueKind.Array, changes.ValueKind);
        Assert.Equal(["create", "create"], changes.EnumerateArray().Select(c => c.GetProperty("change").GetString()));
        Assert.Empty(Hub.Writes);
    }

    [Fact]
    public async Task An_empty_blueprint_list_deletes_every_group()
    {
        // Arrange
        await Cli.RunAsync("blueprints", "apply", "-f", V1);
        var file = Cli.WriteFile("none.yaml", "blueprints: []\n");

        // Act
        var result = await Cli.RunAsync("blueprints", "apply", "-f", file);

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Empty(Hub.Blueprints);
    }

    [Theory]
    [InlineData("blueprints:\n  - group: pickers\n    apps:\n      - { packageName: com.a, versionCode: 0 }\n", "blueprints[0].apps[0].versionCode must be a positive number")]
    [InlineData("blueprints:\n  - apps: []\n", "blueprints[0].group is required")]
    [InlineData("blueprints:\n  - group: a\n  - group: a\n", "blueprints[1].group 'a' appears twice")]
    [InlineData("blueprints:\n  - group: a\n    os: { minSecurityPatch: June }\n", "blueprints[0].os.minSecurityPatch must be a date like 2026-06-01")]
    [InlineData("blueprints:\n  - group: a\n    batteryHealthFloorPercent: 140\n", "blueprints[0].batteryHealthFloorPercent must be between 0 and 100")]
    [InlineData("blueprints:\n  - group: a\n    aps: []\n", "line 3: unknown field 'aps'")]
    [InlineData("blueprints:\n  - group: a\n    apps:\n      - { packageName: com.a, versionCode: abc }\n", "blueprints[0].apps[0].versionCode must be a positive number")]
    [InlineData("blueprints:\n  - group: a\n    certificates:\n      - { name: wifi, minDaysValid: -3 }\n", "blueprints[0].certificates: minDaysValid must be a number of days, 0 or more")]
    [InlineData("blueprints:\n  - group: a\n  bad: [\n", "line 3")]
    [InlineData("# nothing here\n", "blueprints is required")]
    public async Task A_bad_file_is_one_line_naming_the_problem_and_sends_nothing(string yaml, string expected)
    {
        // Arrange
        var file = Cli.WriteFile("bad.yaml", yaml);
        var requestsBefore = Hub.Requests.Count;

        // Act
        var result = await Cli.RunAsync("blueprints", "apply", "-f", file);

        // Assert
        Assert.Equal(1, result.Exit);
        var line = Assert.Single(result.ErrLines);
        Assert.StartsWith($"edgemdm: blueprints file {file}: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Equal(requestsBefore, Hub.Requests.Count);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task A_missing_file_is_one_line()
    {
        // Act
        var result = await Cli.RunAsync("blueprints", "apply", "-f", Path.Combine(Path.GetTempPath(), "no-such-file-" + Guid.NewGuid().ToString("N") + ".yaml"));

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Single(result.ErrLines);
        Assert.Empty(Hub.Writes);
    }

    [Fact]
    public async Task Apply_without_file_is_a_usage_error()
    {
        // Act
        var result = await Cli.RunAsync("blueprints", "apply");

        // Assert
        Assert.Equal(2, result.Exit);
        Assert.Single(result.ErrLines);
        Assert.Contains("--file", result.Err, StringComparison.Ordinal);
    }
}
