using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Domain.Tests.Rollouts;

// Waves advance by threshold or time limit; silent devices become stragglers that are chased, not waited for.
public sealed class WaveAdvanceTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);

    // 10 %, 50 %, 100 %; 95 %, 1 h a wave, stragglers after 15 min.
    private static readonly RolloutPlan Plan = RolloutPlan.Default;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    private static IEnumerable<WaveMember> InWave(int wave, int count, DeviceOutcome outcome, DateTimeOffset? lastCheckIn) =>
        Enumerable.Repeat(new WaveMember(wave, outcome, lastCheckIn), count);

    private static RolloutProgress Evaluate(IEnumerable<WaveMember> devices, DateTimeOffset now, int minimumOpenWaves = 1) =>
        RolloutProgress.Evaluate(Plan, devices, new RolloutClock(Start, now), minimumOpenWaves);

    [Fact]
    public void The_default_plan_advances_at_95_percent_within_an_hour_a_wave_and_stops_waiting_for_a_device_silent_15_minutes()
    {
        Assert.Equal((0.95m, TimeSpan.FromHours(1), TimeSpan.FromMinutes(15)), (Plan.WaveAdvanceShare, Plan.TimeLimitPerWave(), Plan.StragglerSilence()));
        Assert.Null(Plan.WaveTimeLimit);
        Assert.True(Plan.IsValid());
    }

    [Fact]
    public void A_wave_with_95_percent_settled_opens_the_next_one_though_one_device_still_installs()
    {
        // Arrange: 19 installed, 1 pending that checked in a minute ago
        var clock = new FakeTimeProvider(Start.AddMinutes(5));
        var devices = InWave(0, 19, DeviceOutcome.Installed, clock.GetUtcNow())
            .Concat(InWave(0, 1, DeviceOutcome.Pending, clock.GetUtcNow().AddMinutes(-1)))
            .Concat(InWave(1, 80, DeviceOutcome.Pending, clock.GetUtcNow()));

        // Act
        var progress = Evaluate(devices, clock.GetUtcNow());

        // Assert
        Assert.Equal(2, progress.OpenWaves);
        Assert.Equal(WaveAdvance.Threshold, progress.Waves[0].AdvancedBy);
        Assert.Null(progress.Waves[1].AdvancedBy);
    }

    [Fact]
    public void One_offline_device_holds_a_small_wave_and_the_wave_says_so_until_it_becomes_a_straggler_then_the_wave_advances()
    {
        // Arrange: a wave of 2, one installed, one silent since 9:00
        var clock = new FakeTimeProvider(Start.AddMinutes(14));
        var silentSince = Start;
        var devices = InWave(0, 1, DeviceOutcome.Installed, Start.AddMinutes(2))
            .Concat(InWave(0, 1, DeviceOutcome.Offline, silentSince))
            .Concat(InWave(1, 8, DeviceOutcome.Pending, Start.AddMinutes(13)))
            .ToList();

        // Act
        var held = Evaluate(devices, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var moved = Evaluate(devices, clock.GetUtcNow());

        // Assert
        Assert.Equal(1, held.OpenWaves);
        var wait = Assert.IsType<WaveWait>(held.Waiting);
        Assert.Equal((0, 1, 1, 0), (wait.Wave, wait.Needed, wait.Offline, wait.Pending));
        Assert.Equal("waiting on 1 offline device, 14 min (stragglers after 15 min), time limit in 46 min", wait.Text());
        Assert.Equal(2, moved.OpenWaves);
        Assert.Equal((WaveAdvance.Threshold, 1), (moved.Waves[0].AdvancedBy!.Value, moved.Waves[0].Stragglers));
        var silent = new WaveMember(0, DeviceOutcome.Offline, silentSince);
        Assert.True(RolloutStragglers.IsStraggler(Plan, moved, silent, new RolloutClock(Start, clock.GetUtcNow())));
        Assert.False(RolloutStragglers.IsStraggler(Plan, moved, new WaveMember(1, DeviceOutcome.Pending, Start.AddMinutes(13)), new RolloutClock(Start, clock.GetUtcNow())));
    }

    [Fact]
    public void A_wave_that_never_settles_advances_when_its_time_limit_passes_and_says_how_long_is_left_before()
    {
        // Arrange: 20 devices checking in, 17 installed, 3 still downloading
        var clock = new FakeTimeProvider(Start.AddMinutes(48));
        List<WaveMember> Devices() =>
        [
            .. InWave(0, 17, DeviceOutcome.Installed, clock.GetUtcNow()),
            .. InWave(0, 3, DeviceOutcome.Pending, clock.GetUtcNow()),
            .. InWave(1, 80, DeviceOutcome.Pending, clock.GetUtcNow()),
        ];

        // Act
        var before = Evaluate(Devices(), clock.GetUtcNow());
        clock.Advance(TimeSpan.FromMinutes(12));
        var after = Evaluate(Devices(), clock.GetUtcNow());

        // Assert
        Assert.Equal(1, before.OpenWaves);
        Assert.Equal("waiting for 2 of 20 devices to settle (threshold 95 %), time limit in 12 min", before.Waiting!.Text());
        Assert.Equal(Start.AddHours(1), before.Waiting.TimeLimitAt);
        Assert.Equal(2, after.OpenWaves);
        Assert.Equal(WaveAdvance.TimeLimit, after.Waves[0].AdvancedBy);
        Assert.Equal(Start.AddHours(2), after.Waiting!.TimeLimitAt);
        Assert.True(RolloutStragglers.IsStraggler(Plan, after, new WaveMember(0, DeviceOutcome.Pending, clock.GetUtcNow()), new RolloutClock(Start, clock.GetUtcNow())));
    }

    [Fact]
    public void Right_after_apply_devices_waiting_for_their_wave_are_not_stragglers_however_long_they_were_silent()
    {
        // Arrange: the rollout starts now; the devices of later waves were silent for a day
        var now = Start;
        var devices = InWave(0, 10, DeviceOutcome.Pending, now.AddMinutes(-1))
            .Concat(InWave(1, 40, DeviceOutcome.Offline, now.AddDays(-1)))
            .Concat(InWave(2, 50, DeviceOutcome.Offline, now.AddDays(-1)))
            .ToList();

        // Act
        var progress = Evaluate(devices, now);

        // Assert
        Assert.Equal(1, progress.OpenWaves);
        Assert.All(progress.Waves, w => Assert.Equal(0, w.Stragglers));
        Assert.DoesNotContain(devices, d => RolloutStragglers.IsStraggler(Plan, progress, d, new RolloutClock(Start, now)));
        Assert.Equal("waiting for 10 of 10 devices to settle (threshold 95 %), time limit in 1 h", progress.Waiting!.Text());
    }

    [Fact]
    public void A_device_that_never_checked_in_is_a_straggler_once_the_rollout_is_older_than_straggler_after_and_never_without_a_start()
    {
        // Arrange
        var never = new WaveMember(0, DeviceOutcome.Offline, LastCheckIn: null);

        // Act / Assert
        Assert.False(RolloutStragglers.IsSilent(Plan, never, new RolloutClock(Start, Start.AddMinutes(15))));
        Assert.True(RolloutStragglers.IsSilent(Plan, never, new RolloutClock(Start, Start.AddMinutes(16))));
        Assert.False(RolloutStragglers.IsSilent(Plan, never, new RolloutClock(null, Start.AddDays(3))));
        Assert.False(RolloutStragglers.IsSilent(Plan, new WaveMember(0, DeviceOutcome.Installed, null), new RolloutClock(Start, Start.AddDays(3))));
    }

    [Fact]
    public void Without_a_known_start_there_is_no_time_limit()
    {
        // Arrange
        var devices = InWave(0, 5, DeviceOutcome.Pending, Start.AddDays(9)).Concat(InWave(1, 5, DeviceOutcome.Pending, Start.AddDays(9)));

        // Act
        var progress = RolloutProgress.Evaluate(Plan, devices, new RolloutClock(null, Start.AddDays(9)));

        // Assert
        Assert.Equal(1, progress.OpenWaves);
        Assert.Null(progress.Waiting!.TimeLimitIn);
        Assert.Equal("waiting for 5 of 5 devices to settle (threshold 95 %)", progress.Waiting.Text());
    }

    [Fact]
    public void A_wave_seen_open_before_stays_open_when_a_straggler_comes_back_and_counts_again()
    {
        // Arrange: wave 1 opened while its one silent device was a straggler; it checks in again and is pending
        var now = Start.AddMinutes(30);
        var devices = InWave(0, 1, DeviceOutcome.Installed, now)
            .Concat(InWave(0, 1, DeviceOutcome.Pending, now))
            .Concat(InWave(1, 4, DeviceOutcome.Pending, now))
            .ToList();

        // Act
        var forgetful = Evaluate(devices, now);
        var remembering = Evaluate(devices, now, minimumOpenWaves: 2);

        // Assert
        Assert.Equal(1, forgetful.OpenWaves);
        Assert.Equal(2, remembering.OpenWaves);
        Assert.Equal(WaveAdvance.Earlier, remembering.Waves[0].AdvancedBy);
    }

    [Fact]
    public void Waves_opened_only_because_the_ones_before_were_empty_are_not_remembered()
    {
        // Arrange: right after apply no device is counted yet; later wave 1 settles with devices in it
        var now = Start.AddMinutes(1);
        var settledFirst = InWave(0, 2, DeviceOutcome.Installed, now).Concat(InWave(1, 4, DeviceOutcome.Pending, now));

        // Act
        var empty = Evaluate([], now);
        var settled = Evaluate(settledFirst, now);

        // Assert
        Assert.Equal((3, 1), (empty.OpenWaves, empty.WavesToRemember));
        Assert.Equal((2, 2), (settled.OpenWaves, settled.WavesToRemember));
    }

    [Fact]
    public void The_rollout_finishes_when_its_last_wave_advances_and_then_waits_for_nothing()
    {
        // Arrange: everything installed but one straggler of the last wave
        var now = Start.AddMinutes(40);
        var devices = InWave(0, 10, DeviceOutcome.Installed, now)
            .Concat(InWave(1, 40, DeviceOutcome.Installed, now))
            .Concat(InWave(2, 49, DeviceOutcome.Installed, now))
            .Concat(InWave(2, 1, DeviceOutcome.Offline, now.AddMinutes(-20)));

        // Act
        var progress = Evaluate(devices, now);

        // Assert
        Assert.True(progress.IsFinished);
        Assert.Null(progress.Waiting);
        Assert.Equal(1, progress.Waves[2].Stragglers);
    }

    [Fact]
    public void A_halted_rollout_is_not_finished_and_waits_for_nothing_its_halt_reason_says_why()
    {
        // Arrange: 5 of 10 failed in wave 1
        var now = Start.AddMinutes(10);
        var devices = InWave(0, 5, DeviceOutcome.Installed, now).Concat(InWave(0, 5, DeviceOutcome.Failed(InstallFailureReason.StorageFull), now));

        // Act
        var progress = Evaluate(devices, now);

        // Assert
        Assert.True(progress.IsHalted);
        Assert.False(progress.IsFinished);
        Assert.Null(progress.Waiting);
    }

    [Fact]
    public void A_closed_maintenance_window_is_named_in_what_the_wave_waits_for()
    {
        // Arrange: 22:00–05:00 in Berlin, now 10:00 there
        var plan = Plan with { Window = new MaintenanceWindow("Europe/Berlin", new TimeOnly(22, 0), new TimeOnly(5, 0)) };

        // Act
        var progress = RolloutProgress.Evaluate(plan, InWave(0, 4, DeviceOutcome.Pending, Start), new RolloutClock(Start, Start));

        // Assert
        Assert.True(progress.Waiting!.WindowClosed);
        Assert.EndsWith("; the maintenance window is closed", progress.Waiting.Text(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("waveTimeLimit", 0)]
    [InlineData("waveTimeLimit", 31 * 24 * 3600)]
    [InlineData("stragglerAfter", 0)]
    public void Durations_out_of_range_are_refused_naming_the_field(string field, int seconds)
    {
        // Arrange
        var value = TimeSpan.FromSeconds(seconds);
        var plan = string.Equals(field, "waveTimeLimit", StringComparison.Ordinal) ? Plan with { WaveTimeLimit = value } : Plan with { StragglerAfter = value };

        // Act
        var errors = plan.Validate();

        // Assert
        Assert.Equal([field], errors.Keys);
        Assert.Contains("between 1s and 30d", errors[field][0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_plan_without_time_settings_keeps_its_json_and_hash_and_one_with_them_round_trips()
    {
        // Arrange
        var timed = Plan with { WaveTimeLimit = TimeSpan.FromMinutes(20), StragglerAfter = TimeSpan.FromMinutes(5) };

        // Act
        var plain = JsonSerializer.Serialize(Plan, Json);
        var back = JsonSerializer.Deserialize<RolloutPlan>(JsonSerializer.Serialize(timed, Json), Json)!;

        // Assert
        Assert.DoesNotContain("waveTimeLimit", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("stragglerAfter", plain, StringComparison.Ordinal);
        Assert.Equal((timed.WaveTimeLimit, timed.StragglerAfter), (back.WaveTimeLimit, back.StragglerAfter));
        Assert.NotEqual(CanonicalHash.OfPlan(Plan), CanonicalHash.OfPlan(timed));
    }

    [Theory]
    [InlineData(40, false, "40 s")]
    [InlineData(14 * 60 + 59, false, "14 min")]
    [InlineData(14 * 60 + 1, true, "15 min")]
    [InlineData(3900, false, "1 h 5 min")]
    [InlineData(7200, false, "2 h")]
    [InlineData(2 * 86400 + 3 * 3600, false, "2 d 3 h")]
    public void Durations_read_as_a_person_says_them(int seconds, bool roundUp, string expected) =>
        Assert.Equal(expected, DurationWords.Of(TimeSpan.FromSeconds(seconds), roundUp));
}
