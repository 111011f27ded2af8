using EdgeMdm.Cli.Blueprints;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;
using EdgeMdm.GitOps;

namespace EdgeMdm.Cli.Tests;

/// <summary>An app's <c>rollout:</c> in the blueprints file, and how a plan change shows in a dry run.</summary>
public sealed class RolloutYamlTests
{
    private const string WithRollout =
        """
        blueprints:
          - group: pickers
            apps:
              - packageName: com.acme.scan
                versionCode: 120
                versionName: 1.2.0
                rollout:
                  waves: [pilots, 10%, 50%, 100%]
                  window: { timeZone: Europe/Paris, start: "22:00", end: "05:00" }
                  haltAbove: 20%
                  haltAfter: 3
                  advanceAt: 90%
        """;

    /// <summary>The file above with <paramref name="line"/> as its rollout's only key.</summary>
    private static string RolloutOnly(string line) =>
        WithRollout[..(WithRollout.IndexOf("rollout:", StringComparison.Ordinal) + "rollout:".Length)] + "\n          " + line + "\n";

    [Fact]
    public void A_rollout_block_becomes_the_apps_plan()
    {
        var app = Assert.Single(Assert.Single(BlueprintYaml.Parse(WithRollout, "b.yaml", required: true)).Apps);

        var plan = app.Rollout!.Plan;
        Assert.Equal<RolloutWave>([new PilotWave("pilots"), new PercentageWave(10), new PercentageWave(50), new PercentageWave(100)], plan.Waves);
        Assert.Equal(new MaintenanceWindow("Europe/Paris", new TimeOnly(22, 0), new TimeOnly(5, 0)), plan.Window);
        Assert.Equal(new HaltPolicy(0.2m, 3), plan.Halt);
        Assert.Equal(0.9m, plan.WaveAdvanceShare);
        Assert.Null(app.Rollout.Id);
    }

    [Fact]
    public void Time_settings_are_durations_and_left_out_they_stay_out_so_the_defaults_apply()
    {
        var timed = Assert.Single(Assert.Single(BlueprintYaml.Parse(RolloutOnly("waveTimeLimit: 45m\n          stragglerAfter: 90s"), "b.yaml", required: true)).Apps).Rollout!.Plan;
        var plain = Assert.Single(Assert.Single(BlueprintYaml.Parse(RolloutOnly("haltAfter: 5"), "b.yaml", required: true)).Apps).Rollout!.Plan;

        Assert.Equal((TimeSpan.FromMinutes(45), TimeSpan.FromSeconds(90)), (timed.WaveTimeLimit, timed.StragglerAfter));
        Assert.Equal((null, null, 0.95m), (plain.WaveTimeLimit, plain.StragglerAfter, plain.WaveAdvanceShare));
        Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromMinutes(15)), (plain.TimeLimitPerWave(), plain.StragglerSilence()));
    }

    [Fact]
    public void Keys_left_out_take_the_default_plan()
    {
        var yaml = RolloutOnly("haltAfter: 10");

        var plan = Assert.Single(Assert.Single(BlueprintYaml.Parse(yaml, "b.yaml", required: true)).Apps).Rollout!.Plan;

        Assert.Equal(RolloutPlan.Default with { Halt = RolloutPlan.Default.Halt with { MinFinishedDevices = 10 } }, plan with { Waves = RolloutPlan.Default.Waves });
        Assert.Equal(RolloutPlan.Default.Waves, plan.Waves);
    }

    [Fact]
    public void Pilot_groups_name_devices_by_serial_and_a_pilot_wave_takes_them_first()
    {
        var yaml = RolloutOnly("waves: [floor-leads, 50%, 100%]\n          pilotGroups: { floor-leads: [SN-0007, SN-0001, SN-0007] }");

        var plan = Assert.Single(Assert.Single(BlueprintYaml.Parse(yaml, "b.yaml", required: true)).Apps).Rollout!.Plan;

        Assert.Equal(["SN-0001", "SN-0007"], plan.PilotGroups!["floor-leads"]);
        Assert.Equal(0, WaveAssignment.WaveOf(plan, "r-1", "any-device-id", "pickers", "SN-0007"));
        Assert.Equal(["pickers", "floor-leads"], plan.GroupsOf("pickers", "SN-0001"));
        Assert.Equal(["pickers"], plan.GroupsOf("pickers", "SN-0002"));
    }

    [Theory]
    [InlineData("waves: [10%, 50%]", "blueprints[0].apps[0].rollout.waves")]
    [InlineData("pilotGroups: { leads: [SN-1] }", "blueprints[0].apps[0].rollout.pilotGroups.leads is not named by any pilot wave")]
    [InlineData("waves: [leads, 100%]\n          pilotGroups: { leads: [] }", "blueprints[0].apps[0].rollout.pilotGroups.leads must list at least one device serial number")]
    [InlineData("waves: [leads, 100%]\n          pilotGroups: { leads: [\"SN 1\"] }", "blueprints[0].apps[0].rollout.pilotGroups.leads[0] must be a serial number")]
    [InlineData("waves: [10%, pilots, 100%]", "blueprints[0].apps[0].rollout.waves[1]")]
    [InlineData("haltAbove: lots", "blueprints[0].apps[0].rollout.haltAbove must be a share")]
    [InlineData("haltAbove: 120%", "blueprints[0].apps[0].rollout.haltAbove")]
    [InlineData("window: { timeZone: Mars/Olympus, start: \"22:00\", end: \"05:00\" }", "blueprints[0].apps[0].rollout.window.timeZone")]
    [InlineData("window: { timeZone: Europe/Paris, start: \"10pm\", end: \"05:00\" }", "blueprints[0].apps[0].rollout.window.start must be a time of day")]
    [InlineData("waveTimeLimit: soon", "blueprints[0].apps[0].rollout.waveTimeLimit 'soon' is not a duration; use forms like 90s, 45m, 2h or 1d")]
    [InlineData("waveTimeLimit: 60", "blueprints[0].apps[0].rollout.waveTimeLimit '60' is not a duration")]
    [InlineData("waveTimeLimit: 0s", "blueprints[0].apps[0].rollout.waveTimeLimit must be between 1s and 30d")]
    [InlineData("stragglerAfter: 31d", "blueprints[0].apps[0].rollout.stragglerAfter must be between 1s and 30d")]
    [InlineData("advanceAt: 0%", "blueprints[0].apps[0].rollout.advanceAt must be more than 0 and at most 1")]
    public void A_bad_plan_names_its_field(string line, string expected)
    {
        var yaml = RolloutOnly(line);

        var error = Assert.Throws<BlueprintFileException>(() => BlueprintYaml.Parse(yaml, "b.yaml", required: true));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plan_change_alone_is_a_change_and_the_hubs_additions_are_not()
    {
        var file = Assert.Single(BlueprintYaml.Parse(WithRollout, "b.yaml", required: true));
        var app = file.Apps[0];
        var atHub = file with { Apps = [app with { Rollout = app.Rollout! with { Id = "r-1", FromVersionCode = 100, FromVersionName = "1.0.0" } }] };
        var slower = file with { Apps = [app with { Rollout = new AppRollout(app.Rollout!.Plan with { WaveAdvanceShare = 1m }) }] };
        var samePlanWrittenAgain = Assert.Single(BlueprintYaml.Parse(WithRollout.Replace("haltAbove: 20%", "haltAbove: 0.20", StringComparison.Ordinal), "b.yaml", required: true));

        Assert.Empty(BlueprintPlan.Compare([file], [atHub]));
        Assert.Empty(BlueprintPlan.Compare([samePlanWrittenAgain], [atHub]));
        var change = Assert.Single(BlueprintPlan.Compare([slower], [atHub]));
        Assert.Equal("~ group pickers: apps com.acme.scan rollout plan changed", change.Line);
        Assert.Equal(file.ToDeclarations().Token, slower.ToDeclarations().Token); // devices see no difference
    }

    [Fact]
    public void A_plan_survives_the_trip_to_the_hub_as_json()
    {
        var file = Assert.Single(BlueprintYaml.Parse(WithRollout, "b.yaml", required: true));

        var json = System.Text.Json.JsonSerializer.Serialize(file, Hub.HubJson.Default.Blueprint);
        var back = System.Text.Json.JsonSerializer.Deserialize(json, Hub.HubJson.Default.Blueprint)!;

        Assert.Contains("\"kind\":\"pilot\"", json, StringComparison.Ordinal);
        Assert.Equal(file.ContentHash(), back.ContentHash());
        Assert.Equal(file.Apps[0].Rollout!.Plan.Waves, back.Apps[0].Rollout!.Plan.Waves);
    }
}
