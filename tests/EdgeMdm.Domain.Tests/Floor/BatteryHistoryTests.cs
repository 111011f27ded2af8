using EdgeMdm.Domain.Floor;

namespace EdgeMdm.Domain.Tests.Floor;

public sealed class BatteryHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 6, 0, 0, TimeSpan.Zero);

    private static BatterySample Off(double hours, int level) => new(T0.AddHours(hours), level, 90, 300, Charging: false, Docked: false);

    private static BatterySample Charging(double hours, int level) => new(T0.AddHours(hours), level, 90, 300, Charging: true, Docked: true);

    [Fact]
    public void Health_losing_three_points_a_month_is_falling_with_its_slope()
    {
        var samples = Enumerable.Range(0, 31).Select(day => new BatterySample(T0.AddDays(day), 50, 95 - (day / 10), 300, false, false)).ToList();

        var trend = BatteryHistory.Trend(samples);

        Assert.Equal(HealthTrendNames.Falling, trend.Trend);
        Assert.InRange(trend.SlopePer30Days!.Value, -3.5, -2.5);
    }

    [Fact]
    public void Unchanged_health_is_steady_and_too_little_history_is_unknown()
    {
        var month = Enumerable.Range(0, 10).Select(day => new BatterySample(T0.AddDays(day), 50, 88, 300, false, false)).ToList();
        var hour = new[] { Off(0, 80), Off(1, 70) };

        Assert.Equal(new HealthTrend(0, HealthTrendNames.Steady), BatteryHistory.Trend(month));
        Assert.Equal(HealthTrendNames.Unknown, BatteryHistory.Trend(hour).Trend);
        Assert.Equal(HealthTrendNames.Unknown, BatteryHistory.Trend([]).Trend);
    }

    [Theory]
    [InlineData(79, 80, true)]
    [InlineData(80, 80, false)]
    [InlineData(null, 80, false)]
    public void A_battery_under_the_floor_is_flagged_for_replacement(int? health, int floor, bool expected) =>
        Assert.Equal(expected, BatteryHistory.NeedsReplacement(health, floor));

    [Fact]
    public void Drain_is_percent_per_hour_off_the_cradle_only()
    {
        var samples = new[] { Off(0, 100), Off(1, 90), Off(2, 80), Charging(2.5, 85), Charging(3, 95), Off(3.5, 95), Off(4.5, 85) };

        Assert.Equal(10, BatteryHistory.DrainPerHour(samples)!.Value, 3);
        Assert.Equal(20, BatteryHistory.ChargePerHour(samples)!.Value, 3);
    }

    [Fact]
    public void Drain_ignores_clock_jumps_backward_huge_gaps_and_swapped_packs()
    {
        var samples = new[]
        {
            Off(0, 100), Off(1, 90),
            Off(30, 10), // the device was off for a day: 80 points over 29 h would say 2.8 %/h
            Off(31, 95), // a fresh pack swapped in: a rise off the cradle
            Off(32, 85),
            new BatterySample(T0.AddHours(32), 70, 90, 300, false, false), // the same instant twice
        };

        Assert.Equal(10, BatteryHistory.DrainPerHour(samples)!.Value, 3);
    }

    [Fact]
    public void Drain_needs_ten_minutes_of_history()
    {
        Assert.Null(BatteryHistory.DrainPerHour([Off(0, 90), Off(0.1, 89)]));
        Assert.Null(BatteryHistory.DrainPerHour([Off(0, 90)]));
    }

    [Fact]
    public void Time_to_full_is_the_devices_own_estimate_when_it_reports_one()
    {
        var latest = Charging(1, 60);

        Assert.Equal(TimeSpan.FromMinutes(42), BatteryHistory.TimeToFull(latest, 42, []));
    }

    [Fact]
    public void Time_to_full_is_estimated_from_the_charge_rate_otherwise()
    {
        var samples = new[] { Charging(0, 40), Charging(0.5, 50), Charging(1, 60) };

        Assert.Equal(TimeSpan.FromHours(2), BatteryHistory.TimeToFull(samples[^1], null, samples));
    }

    [Fact]
    public void Time_to_full_is_zero_when_full_and_unknown_off_the_charger()
    {
        Assert.Equal(TimeSpan.Zero, BatteryHistory.TimeToFull(Off(0, 100), null, []));
        Assert.Null(BatteryHistory.TimeToFull(Off(0, 50), 30, []));
        Assert.Null(BatteryHistory.TimeToFull(Charging(0, 50), null, []));
    }
}
