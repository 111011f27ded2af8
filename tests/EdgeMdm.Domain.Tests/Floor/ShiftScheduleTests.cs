using EdgeMdm.Domain.Floor;

namespace EdgeMdm.Domain.Tests.Floor;

public sealed class ShiftScheduleTests
{
    private static readonly ShiftDefinition Early = new("early", new TimeOnly(6, 0), new TimeOnly(14, 0));
    private static readonly ShiftDefinition Late = new("late", new TimeOnly(14, 0), new TimeOnly(22, 0));
    private static readonly ShiftDefinition Night = new("night", new TimeOnly(22, 0), new TimeOnly(6, 0));

    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void A_night_shift_crosses_midnight_into_the_next_day()
    {
        var schedule = new ShiftSchedule([Early, Late, Night], TimeZoneInfo.Utc);
        var at = new DateTimeOffset(2026, 11, 24, 23, 30, 0, TimeSpan.Zero);

        var current = schedule.Current(at)!;

        Assert.Equal("night@2026-11-24", current.Id);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 6, 0, 0, TimeSpan.Zero), current.End);
        Assert.Equal("early@2026-11-25", schedule.Next(at)!.Id);
        Assert.Equal("late@2026-11-24", schedule.LastEnded(at)!.Id);
    }

    [Fact]
    public void The_next_shift_after_the_last_of_the_day_is_tomorrows_first()
    {
        var schedule = new ShiftSchedule([Early, Late], TimeZoneInfo.Utc);

        var next = schedule.Next(new DateTimeOffset(2026, 11, 24, 22, 0, 0, TimeSpan.Zero))!;

        Assert.Equal("early@2026-11-25", next.Id);
    }

    [Fact]
    public void A_night_shift_over_the_spring_forward_lasts_seven_hours_and_over_the_fall_back_nine()
    {
        var schedule = new ShiftSchedule([Night], Berlin);

        var spring = schedule.On(Night, new DateOnly(2026, 3, 28));
        var autumn = schedule.On(Night, new DateOnly(2026, 10, 24));
        var plain = schedule.On(Night, new DateOnly(2026, 11, 24));

        Assert.Equal(TimeSpan.FromHours(7), spring.Length);
        Assert.Equal(TimeSpan.FromHours(9), autumn.Length);
        Assert.Equal(TimeSpan.FromHours(8), plain.Length);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 21, 0, 0, TimeSpan.Zero), plain.Start);
    }

    [Fact]
    public void A_start_in_the_skipped_hour_begins_when_the_clocks_have_moved_and_one_in_the_repeated_hour_the_first_time()
    {
        var skipped = new ShiftDefinition("odd", new TimeOnly(2, 30), new TimeOnly(10, 0));
        var schedule = new ShiftSchedule([skipped], Berlin);

        var spring = schedule.On(skipped, new DateOnly(2026, 3, 29));
        var autumn = schedule.On(skipped, new DateOnly(2026, 10, 25));

        Assert.Equal(new DateTimeOffset(2026, 3, 29, 3, 0, 0, TimeSpan.FromHours(2)), spring.Start);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 2, 30, 0, TimeSpan.FromHours(2)), autumn.Start);
    }

    [Fact]
    public void Overlapping_shifts_repeated_names_and_empty_shifts_are_problems_but_touching_ones_are_not()
    {
        Assert.Empty(ShiftSchedule.Problems([Early, Late, Night]));

        var problems = ShiftSchedule.Problems([Early, new ShiftDefinition("mid", new TimeOnly(12, 0), new TimeOnly(16, 0)), new ShiftDefinition("early", new TimeOnly(1, 0), new TimeOnly(1, 0))]);

        Assert.Contains(problems, p => p.Contains("'early' is defined 2 times", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'early' (06:00-14:00) and 'mid' (12:00-16:00) overlap", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("starts and ends at 01:00", StringComparison.Ordinal));
    }

    [Fact]
    public void A_night_shift_overlapping_the_early_shift_of_the_next_morning_is_a_problem()
    {
        var longNight = new ShiftDefinition("night", new TimeOnly(22, 0), new TimeOnly(7, 0));

        Assert.Single(ShiftSchedule.Problems([Early, longNight]));
    }
}
