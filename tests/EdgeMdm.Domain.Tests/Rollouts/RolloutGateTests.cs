using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Rollouts;

public sealed class RolloutGateTests
{
    private static readonly RolloutTarget Target = DeviceOutcomeTests.Target;

    // Noon in Berlin in June is outside the night window; 23:00 local (21:00 UTC) is inside.
    private static readonly MaintenanceWindow BerlinNight = new("Europe/Berlin", new TimeOnly(22, 0), new TimeOnly(5, 0));
    private static readonly DateTimeOffset Night = new(2026, 6, 1, 21, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Noon = new(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);

    private static readonly RolloutPlan Plan = RolloutPlanTests.PilotsThenPercentages(BerlinNight);

    // Pilots settled, so waves 0 and 1 are open; not halted.
    private static readonly RolloutProgress Running = RolloutProgress.Evaluate(Plan, [(0, DeviceOutcome.Installed), (1, DeviceOutcome.Pending), (2, DeviceOutcome.Pending)]);

    private static readonly RolloutProgress Halted = RolloutProgress.Evaluate(Plan,
        Enumerable.Repeat((0, DeviceOutcome.Failed(InstallFailureReason.SignatureBad)), 5).Append((1, DeviceOutcome.Pending)));

    private static DeviceReport Report(long? installed = 411, string? os = "14") => DeviceOutcomeTests.Report(installed, os);

    [Fact]
    public void A_compatible_device_in_an_open_wave_inside_the_window_is_offered()
    {
        Assert.Equal(OfferDecision.Offer, RolloutGate.Decide(Plan, Running, Target, 1, Report(), Night));
    }

    [Fact]
    public void Outside_the_maintenance_window_nothing_new_is_offered()
    {
        Assert.Equal(OfferDecision.OutsideMaintenanceWindow, RolloutGate.Decide(Plan, Running, Target, 1, Report(), Noon));
    }

    [Fact]
    public void Without_a_window_any_time_will_do()
    {
        Assert.Equal(OfferDecision.Offer, RolloutGate.Decide(Plan with { Window = null }, Running, Target, 1, Report(), Noon));
    }

    [Fact]
    public void A_device_in_a_wave_not_open_yet_waits()
    {
        Assert.Equal(OfferDecision.WaveNotOpen, RolloutGate.Decide(Plan, Running, Target, 2, Report(), Night));
    }

    [Fact]
    public void A_halted_rollout_offers_nothing_new()
    {
        Assert.Equal(OfferDecision.Halted, RolloutGate.Decide(Plan, Halted, Target, 1, Report(), Night));
    }

    [Fact]
    public void A_device_that_runs_the_target_keeps_it_whatever_the_rollout_state_so_it_is_never_told_to_downgrade()
    {
        Assert.Equal(OfferDecision.AlreadyInstalled, RolloutGate.Decide(Plan, Halted, Target, 3, Report(installed: 412), Noon));
    }

    [Fact]
    public void An_incompatible_device_is_never_offered()
    {
        Assert.Equal(OfferDecision.Incompatible, RolloutGate.Decide(Plan, Running, Target, 1, Report(os: "12"), Night));
    }

    [Fact]
    public void A_device_whose_os_is_unknown_is_not_offered_a_package_with_a_minimum()
    {
        // Act
        var withMinimum = RolloutGate.Decide(Plan, Running, Target, 1, Report(os: null), Night);
        var withoutMinimum = RolloutGate.Decide(Plan, Running, Target with { MinOsVersion = null }, 1, Report(os: null), Night);

        // Assert
        Assert.Equal(OfferDecision.OsVersionUnknown, withMinimum);
        Assert.Equal(OfferDecision.Offer, withoutMinimum);
    }

    [Fact]
    public void The_device_own_reason_comes_before_the_rollout_reason()
    {
        Assert.Equal(OfferDecision.Incompatible, RolloutGate.Decide(Plan, Halted, Target, 3, Report(os: "12"), Noon));
    }

    [Fact]
    public void Failed_and_offline_devices_in_an_open_wave_are_still_offered_so_they_retry_or_catch_up()
    {
        // Arrange: the gate reads the report; what failed before does not stop the offer
        var failed = DeviceOutcomeTests.Report() with { LastFailure = new InstallFailure(412, InstallFailureReason.DownloadFailed, Night.AddHours(-1)) };
        var silent = DeviceOutcomeTests.Report() with { LastCheckIn = Night.AddDays(-3) };

        // Act / Assert
        Assert.Equal(OfferDecision.Offer, RolloutGate.Decide(Plan, Running, Target, 1, failed, Night));
        Assert.Equal(OfferDecision.Offer, RolloutGate.Decide(Plan, Running, Target, 1, silent, Night));
    }

    [Theory]
    [InlineData(OfferDecision.Offer, true)]
    [InlineData(OfferDecision.AlreadyInstalled, true)]
    [InlineData(OfferDecision.Incompatible, false)]
    [InlineData(OfferDecision.OsVersionUnknown, false)]
    [InlineData(OfferDecision.WaveNotOpen, false)]
    [InlineData(OfferDecision.Halted, false)]
    [InlineData(OfferDecision.OutsideMaintenanceWindow, false)]
    public void Only_offer_and_already_installed_declare_the_target(OfferDecision decision, bool declaresTarget)
    {
        Assert.Equal(declaresTarget, decision.DeclaresTarget());
    }
}
