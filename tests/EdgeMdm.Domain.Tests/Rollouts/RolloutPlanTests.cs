using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Rollouts;

public sealed class RolloutPlanTests
{
    // Every device settled before the next wave opens, so the tests of the counting rules are not about the threshold.
    internal static RolloutPlan PilotsThenPercentages(MaintenanceWindow? window = null) => new(
        [new PilotWave("pilots"), new PercentageWave(10), new PercentageWave(50), new PercentageWave(100)],
        new HaltPolicy(0.2m, 5),
        window,
        WaveAdvanceShare: 1m);

    [Fact]
    public void Pilots_then_cumulative_percentages_ending_at_100_is_valid()
    {
        Assert.Empty(PilotsThenPercentages(new MaintenanceWindow("Europe/Berlin", new TimeOnly(22, 0), new TimeOnly(5, 0))).Validate());
        Assert.True(RolloutPlan.Default.IsValid());
    }

    [Theory]
    [InlineData("no waves", "waves")]
    [InlineData("pilot after percentage", "waves[1]")]
    [InlineData("bad group", "waves[0].group")]
    [InlineData("pilot twice", "waves[1].group")]
    [InlineData("zero percent", "waves[0].cumulativePercent")]
    [InlineData("over 100 percent", "waves[0].cumulativePercent")]
    [InlineData("not increasing", "waves[1].cumulativePercent")]
    [InlineData("not ending at 100", "waves")]
    [InlineData("threshold above 1", "halt.failureRateThreshold")]
    [InlineData("threshold below 0", "halt.failureRateThreshold")]
    [InlineData("no minimum sample", "halt.minFinishedDevices")]
    [InlineData("no halt", "halt")]
    [InlineData("unknown zone", "window.timeZoneId")]
    [InlineData("empty zone", "window.timeZoneId")]
    [InlineData("empty window", "window.end")]
    [InlineData("zero share", "waveAdvanceShare")]
    [InlineData("share above 1", "waveAdvanceShare")]
    public void Each_bad_field_is_named(string problem, string field)
    {
        // Arrange
        var valid = PilotsThenPercentages();
        var berlin = new MaintenanceWindow("Europe/Berlin", new TimeOnly(22, 0), new TimeOnly(5, 0));
        var plan = problem switch
        {
            "no waves" => valid with { Waves = [] },
            "pilot after percentage" => valid with { Waves = [new PercentageWave(10), new PilotWave("pilots"), new PercentageWave(100)] },
            "bad group" => valid with { Waves = [new PilotWave("pilots and more"), new PercentageWave(100)] },
            "pilot twice" => valid with { Waves = [new PilotWave("pilots"), new PilotWave("pilots"), new PercentageWave(100)] },
            "zero percent" => valid with { Waves = [new PercentageWave(0), new PercentageWave(100)] },
            "over 100 percent" => valid with { Waves = [new PercentageWave(101), new PercentageWave(100)] },
            "not increasing" => valid with { Waves = [new PercentageWave(50), new PercentageWave(50), new PercentageWave(100)] },
            "not ending at 100" => valid with { Waves = [new PilotWave("pilots"), new PercentageWave(10), new PercentageWave(90)] },
            "threshold above 1" => valid with { Halt = new HaltPolicy(1.5m, 5) },
            "threshold below 0" => valid with { Halt = new HaltPolicy(-0.1m, 5) },
            "no minimum sample" => valid with { Halt = new HaltPolicy(0.2m, 0) },
            "no halt" => valid with { Halt = null! },
            "unknown zone" => valid with { Window = berlin with { TimeZoneId = "Europe/Atlantis" } },
            "empty zone" => valid with { Window = berlin with { TimeZoneId = "" } },
            "empty window" => valid with { Window = berlin with { End = new TimeOnly(22, 0) } },
            "zero share" => valid with { WaveAdvanceShare = 0m },
            _ => valid with { WaveAdvanceShare = 1.01m },
        };

        // Act
        var errors = plan.Validate();

        // Assert
        Assert.Equal([field], errors.Keys);
        Assert.False(plan.IsValid());
    }

    [Fact]
    public void Only_pilot_waves_leave_devices_without_a_wave_and_are_refused()
    {
        // Arrange
        var plan = PilotsThenPercentages() with { Waves = [new PilotWave("pilots")] };

        // Act / Assert
        Assert.Contains("100 %", Assert.Single(plan.Validate()["waves"]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_100_percent_wave_is_a_rollout_to_everyone_at_once()
    {
        Assert.True((RolloutPlan.Default with { Waves = [new PercentageWave(100)] }).IsValid());
    }

    [Fact]
    public void Pilot_groups_are_validated_and_normalized_for_the_content_hash()
    {
        var groups = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["leads"] = ["SN-9", "SN-1", "SN-9"] };
        var plan = new RolloutPlan([new PilotWave("leads"), new PercentageWave(100)], HaltPolicy.Default, Window: null, PilotGroups: groups);
        var reordered = plan with { PilotGroups = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["leads"] = ["SN-1", "SN-9"] } };
        var tooMany = plan with
        {
            PilotGroups = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
            {
                ["leads"] = Enumerable.Range(0, RolloutPlan.MaxPilotDevices + 1).Select(i => $"SN-{i}").ToList(),
            },
        };

        Assert.True(plan.IsValid());
        Assert.Equal(["SN-1", "SN-9"], plan.Normalized().PilotGroups!["leads"]);
        Assert.Equal(EdgeMdm.Domain.Blueprints.CanonicalHash.OfPlan(plan), EdgeMdm.Domain.Blueprints.CanonicalHash.OfPlan(reordered));
        Assert.Contains("pilotGroups", tooMany.Validate().Keys);
        // A plan without pilot groups hashes as before they existed: nothing is written for them.
        Assert.DoesNotContain("pilotGroups", System.Text.Json.JsonSerializer.Serialize(RolloutPlan.Default, System.Text.Json.JsonSerializerOptions.Web), StringComparison.Ordinal);
    }
}
