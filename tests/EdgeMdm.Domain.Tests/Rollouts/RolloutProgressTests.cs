using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Rollouts;

public sealed class RolloutProgressTests
{
    // pilots, 10 %, 50 %, 100 %; halt above 20 % once 5 have finished
    private static readonly RolloutPlan Plan = RolloutPlanTests.PilotsThenPercentages();

    private static IEnumerable<(int Wave, DeviceOutcome Outcome)> InWave(int wave, int count, DeviceOutcome outcome) =>
        Enumerable.Repeat((wave, outcome), count);

    private static readonly DeviceOutcome StorageFull = DeviceOutcome.Failed(InstallFailureReason.StorageFull);

    [Fact]
    public void The_first_wave_is_open_from_the_start()
    {
        // Act
        var progress = RolloutProgress.Evaluate(Plan, InWave(0, 3, DeviceOutcome.Pending).Concat(InWave(1, 10, DeviceOutcome.Pending)));

        // Assert
        Assert.Equal(1, progress.OpenWaves);
        Assert.True(progress.IsWaveOpen(0));
        Assert.False(progress.IsWaveOpen(1));
        Assert.False(progress.IsWaveOpen(-1));
        Assert.False(progress.IsHalted);
    }

    [Fact]
    public void Counts_are_kept_per_wave()
    {
        // Act
        var progress = RolloutProgress.Evaluate(Plan, [
            (1, DeviceOutcome.Installed), (1, DeviceOutcome.Pending), (1, StorageFull), (1, DeviceOutcome.Incompatible),
            (1, DeviceOutcome.Offline), (3, DeviceOutcome.Pending)]);

        // Assert
        Assert.Equal(new WaveProgress(1, 5, 1, 1, 1, 1, 1), progress.Waves[1]);
        Assert.Equal(2, progress.Waves[1].Finished);
        Assert.Equal(3, progress.Waves[1].Settled);
        Assert.Equal(0.5m, progress.Waves[1].FailureRate);
        Assert.Equal(new WaveProgress(3, 1, 0, 1, 0, 0, 0), progress.Waves[3]);
        Assert.Equal(4, progress.Waves.Count);
    }

    [Fact]
    public void The_next_wave_opens_once_every_device_of_the_previous_one_is_installed_failed_or_incompatible()
    {
        // Arrange
        var pilotsSettled = InWave(0, 8, DeviceOutcome.Installed)
            .Append((0, StorageFull))
            .Append((0, DeviceOutcome.Incompatible));

        // Act
        var oneLeft = RolloutProgress.Evaluate(Plan, pilotsSettled.Append((0, DeviceOutcome.Pending)).Concat(InWave(1, 10, DeviceOutcome.Pending)));
        var allSettled = RolloutProgress.Evaluate(Plan, pilotsSettled.Concat(InWave(1, 10, DeviceOutcome.Pending)));

        // Assert
        Assert.Equal(1, oneLeft.OpenWaves);
        Assert.Equal(2, allSettled.OpenWaves);
    }

    [Fact]
    public void An_offline_device_holds_the_next_wave_at_the_default_share()
    {
        // Act
        var progress = RolloutProgress.Evaluate(Plan, InWave(0, 9, DeviceOutcome.Installed).Append((0, DeviceOutcome.Offline)));

        // Assert
        Assert.Equal(1, progress.OpenWaves);
    }

    [Fact]
    public void A_lower_advance_share_moves_on_without_the_last_devices()
    {
        // Arrange
        var plan = Plan with { WaveAdvanceShare = 0.9m };

        // Act
        var nineOfTen = RolloutProgress.Evaluate(plan, InWave(0, 9, DeviceOutcome.Installed).Append((0, DeviceOutcome.Offline)));
        var eightOfTen = RolloutProgress.Evaluate(plan, InWave(0, 8, DeviceOutcome.Installed).Concat(InWave(0, 2, DeviceOutcome.Offline)));

        // Assert
        Assert.Equal(4, nineOfTen.OpenWaves); // the empty waves after it open too
        Assert.Equal(1, eightOfTen.OpenWaves);
    }

    [Fact]
    public void An_empty_wave_is_settled_and_opens_the_next_at_once()
    {
        // Arrange: nobody is in the pilot group; the 10 % wave still has work
        var devices = InWave(1, 5, DeviceOutcome.Pending).Concat(InWave(2, 20, DeviceOutcome.Pending));

        // Act
        var progress = RolloutProgress.Evaluate(Plan, devices);

        // Assert
        Assert.Equal(2, progress.OpenWaves);
    }

    [Fact]
    public void Waves_open_one_after_another_as_each_settles()
    {
        // Act
        var progress = RolloutProgress.Evaluate(Plan, InWave(0, 2, DeviceOutcome.Installed)
            .Concat(InWave(1, 10, DeviceOutcome.Installed))
            .Concat(InWave(2, 40, DeviceOutcome.Installed).Append((2, DeviceOutcome.Pending)))
            .Concat(InWave(3, 50, DeviceOutcome.Pending)));

        // Assert
        Assert.Equal(3, progress.OpenWaves);
        Assert.False(progress.IsWaveOpen(3));
    }

    [Fact]
    public void A_failure_rate_exactly_at_the_threshold_does_not_halt()
    {
        // Act: 1 of 5 = 20 %, threshold 20 %
        var progress = RolloutProgress.Evaluate(Plan, InWave(1, 4, DeviceOutcome.Installed).Append((1, StorageFull)));

        // Assert
        Assert.False(progress.IsHalted);
        Assert.Null(progress.Halt);
    }

    [Fact]
    public void A_failure_rate_above_the_threshold_halts_and_says_why()
    {
        // Act: 2 of 5 = 40 %
        var progress = RolloutProgress.Evaluate(Plan, InWave(1, 3, DeviceOutcome.Installed).Concat(InWave(1, 2, StorageFull)));

        // Assert
        Assert.True(progress.IsHalted);
        Assert.Equal(new HaltReason(1, 2, 5, 0.2m), progress.Halt);
        Assert.Equal("wave 2: 2 of 5 finished installs failed (40 %), more than the 20 % threshold", progress.Halt!.ToString());
    }

    [Fact]
    public void Below_the_minimum_sample_even_every_failure_does_not_halt()
    {
        // Act: 4 of 4 failed, but 5 must have finished
        var fewFinished = RolloutProgress.Evaluate(Plan, InWave(0, 4, StorageFull).Concat(InWave(0, 20, DeviceOutcome.Pending)));
        var oneInTwo = RolloutProgress.Evaluate(Plan, [(0, DeviceOutcome.Installed), (0, StorageFull)]);
        var atMinimum = RolloutProgress.Evaluate(Plan, InWave(0, 5, StorageFull));

        // Assert
        Assert.False(fewFinished.IsHalted);
        Assert.False(oneInTwo.IsHalted);
        Assert.True(atMinimum.IsHalted);
    }

    [Fact]
    public void Pending_offline_and_incompatible_devices_are_not_in_the_failure_rate()
    {
        // Act: 1 failed of 5 finished; many others that never finished or were never offered
        var progress = RolloutProgress.Evaluate(Plan, InWave(1, 4, DeviceOutcome.Installed)
            .Append((1, StorageFull))
            .Concat(InWave(1, 30, DeviceOutcome.Incompatible))
            .Concat(InWave(1, 30, DeviceOutcome.Offline))
            .Concat(InWave(1, 30, DeviceOutcome.Pending)));

        // Assert
        Assert.False(progress.IsHalted);
        Assert.Equal(0.2m, progress.Waves[1].FailureRate);
    }

    [Fact]
    public void A_zero_threshold_halts_on_the_first_failure_and_a_threshold_of_one_never_halts()
    {
        // Arrange
        var strict = Plan with { Halt = new HaltPolicy(0m, 1) };
        var never = Plan with { Halt = new HaltPolicy(1m, 1) };

        // Act / Assert
        Assert.False(RolloutProgress.Evaluate(strict, InWave(0, 10, DeviceOutcome.Installed)).IsHalted);
        Assert.True(RolloutProgress.Evaluate(strict, InWave(0, 10, DeviceOutcome.Installed).Append((0, StorageFull))).IsHalted);
        Assert.False(RolloutProgress.Evaluate(never, InWave(0, 10, StorageFull)).IsHalted);
    }

    [Fact]
    public void The_lowest_failing_wave_is_named()
    {
        // Act
        var progress = RolloutProgress.Evaluate(Plan, InWave(2, 5, StorageFull).Concat(InWave(1, 5, StorageFull)));

        // Assert
        Assert.Equal(1, progress.Halt!.Wave);
    }

    [Fact]
    public void A_halt_lifts_when_failed_devices_report_the_version_installed_after_their_retries()
    {
        // Arrange
        var failing = InWave(1, 3, DeviceOutcome.Installed).Concat(InWave(1, 3, StorageFull)).ToList();
        var recovered = InWave(1, 5, DeviceOutcome.Installed).Append((1, StorageFull)).ToList();

        // Act / Assert
        Assert.True(RolloutProgress.Evaluate(Plan, failing).IsHalted);
        Assert.False(RolloutProgress.Evaluate(Plan, recovered).IsHalted);
    }

    [Fact]
    public void A_wave_outside_the_plan_is_a_caller_error()
    {
        Assert.Throws<ArgumentException>(() => RolloutProgress.Evaluate(Plan, [(4, DeviceOutcome.Pending)]));
        Assert.Throws<ArgumentException>(() => RolloutProgress.Evaluate(Plan, [(-1, DeviceOutcome.Pending)]));
    }
}
