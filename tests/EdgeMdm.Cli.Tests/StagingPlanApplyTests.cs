namespace EdgeMdm.Cli.Tests;

/// <summary><c>blueprints apply</c> carrying staging plans, their secrets from the applier's environment.</summary>
public sealed class StagingPlanApplyTests : SignedInCliTest
{
    private int Changes() => Hub.Writes.Count(w => !w.EndsWith("/compare", StringComparison.Ordinal));

    private static string WriteFile(string yaml)
    {
        var path = Path.Combine(Path.GetTempPath(), $"plans-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task Apply_puts_plans_before_the_blueprints_naming_them_and_a_dry_run_shows_a_changed_secret_only_as_changed()
    {
        // Arrange
        var file = WriteFile(StagingPlanYamlTests.WithPlan);
        Cli.Environment["DC_FLOOR_PSK"] = StagingPlanYamlTests.Psk;

        // Act
        var first = await Cli.RunAsync("blueprints", "apply", "-f", file);
        var again = await Cli.RunAsync("blueprints", "apply", "-f", file);
        Cli.Environment["DC_FLOOR_PSK"] = "rotated-passphrase-2";
        var writes = Changes();
        var dryRun = await Cli.RunAsync("blueprints", "apply", "-f", file, "--dry-run");
        var dryRunJson = await Cli.RunAsync("blueprints", "apply", "-f", file, "--dry-run", "--json");

        // Assert
        Assert.Equal(0, first.Exit);
        var putPlan = Hub.Writes.ToList().IndexOf("PUT /api/v1/staging-plans/scanner-standard");
        var putBlueprint = Hub.Writes.ToList().IndexOf("PUT /api/v1/blueprints/pickers");
        Assert.True(putPlan >= 0 && putPlan < putBlueprint, string.Join(", ", Hub.Writes));
        Assert.Equal("scanner-standard", Hub.Blueprints["pickers"].StagingPlan);
        Assert.Equal(StagingPlanYamlTests.Psk, ((EdgeMdm.Domain.Staging.WifiStep)Hub.StagingPlans["scanner-standard"].Steps[3]).Psk!.Reveal());
        Assert.StartsWith("+ staging plan scanner-standard (new): enroll; managedConfig com.zebra.oemconfig.common, 3 keys;", first.OutLines[0], StringComparison.Ordinal);
        Assert.Equal("applied: 2 create, 0 change, 0 delete; staging plans: 1 create, 0 change, 0 delete", first.OutLines[^1]);
        Assert.Equal(["no changes"], again.OutLines);
        Assert.Equal(0, dryRun.Exit);
        Assert.Equal(["~ staging plan scanner-standard: steps[3].psk changed", "dry run: 0 to create, 0 to change, 0 to delete; staging plans: 0 to create, 1 to change, 0 to delete; nothing was sent"], dryRun.OutLines);
        Assert.Equal(writes, Changes()); // a dry run only asks the hub to compare
        foreach (var output in new[] { first.Out, dryRun.Out, dryRunJson.Out, first.Err, dryRun.Err })
        {
            Assert.DoesNotContain(StagingPlanYamlTests.Psk, output, StringComparison.Ordinal);
            Assert.DoesNotContain("rotated-passphrase-2", output, StringComparison.Ordinal);
            Assert.DoesNotContain("literal-password", output, StringComparison.Ordinal);
        }

        Assert.Equal("update", (string)System.Text.Json.Nodes.JsonNode.Parse(dryRunJson.Out)!["stagingPlans"]![0]!["change"]!);
    }

    [Fact]
    public async Task A_plan_left_out_of_the_file_is_deleted_after_the_blueprints_stop_naming_it()
    {
        // Arrange
        Cli.Environment["DC_FLOOR_PSK"] = StagingPlanYamlTests.Psk;
        await Cli.RunAsync("blueprints", "apply", "-f", WriteFile(StagingPlanYamlTests.WithPlan));

        // Act
        var result = await Cli.RunAsync("blueprints", "apply", "-f", WriteFile("blueprints:\n  - group: pickers\n"));

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Empty(Hub.StagingPlans);
        Assert.Contains("- staging plan scanner-standard (deleted)", result.OutLines);
        Assert.Contains("~ group pickers: stagingPlan scanner-standard → none", result.OutLines);
        var writes = Hub.Writes.ToList();
        Assert.True(writes.IndexOf("PUT /api/v1/blueprints/pickers") < writes.IndexOf("DELETE /api/v1/staging-plans/scanner-standard"));
    }

    [Fact]
    public async Task A_secret_from_an_unset_variable_stops_apply_before_anything_is_sent()
    {
        // Act
        var result = await Cli.RunAsync("blueprints", "apply", "-f", WriteFile(StagingPlanYamlTests.WithPlan));

        // Assert
        Assert.NotEqual(0, result.Exit);
        Assert.Contains("stagingPlans[0].steps[3].psk names the environment variable DC_FLOOR_PSK, which is not set", result.Err, StringComparison.Ordinal);
        Assert.Empty(Hub.Writes);
        Assert.DoesNotContain(Hub.Requests, r => r.Contains("staging-plans", StringComparison.Ordinal));
    }
}
