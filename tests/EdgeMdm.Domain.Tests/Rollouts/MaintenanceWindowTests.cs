using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Rollouts;

public sealed class MaintenanceWindowTests
{
    private static readonly MaintenanceWindow BerlinNight = new("Europe/Berlin", new TimeOnly(22, 0), new TimeOnly(5, 0));

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 59, false)]
    [InlineData(1, 0, true)]
    [InlineData(3, 59, true)]
    [InlineData(4, 0, false)]
    public void A_same_day_window_includes_its_start_and_excludes_its_end(int hour, int minute, bool open)
    {
        // Arrange
        var window = new MaintenanceWindow("Etc/UTC", new TimeOnly(1, 0), new TimeOnly(4, 0));

        // Act / Assert
        Assert.Equal(open, window.IsOpen(Utc(2, 10, hour, minute)));
    }

    [Theory]
    [InlineData(20, 59, false)] // 21:59 in Berlin (UTC+1 in February)
    [InlineData(21, 0, true)]   // 22:00
    [InlineData(22, 59, true)]  // 23:59
    [InlineData(23, 0, true)]   // 00:00 the next day
    [InlineData(27, 59, true)]  // 04:59 (hours past 23 roll into the next day)
    [InlineData(28, 0, false)]  // 05:00
    [InlineData(35, 0, false)]  // 12:00
    public void A_window_crossing_midnight_is_open_from_start_to_end_in_site_time(int hourFromFebTenth, int minute, bool open)
    {
        // Arrange
        var instant = Utc(2, 10, 0).AddHours(hourFromFebTenth).AddMinutes(minute);

        // Act / Assert
        Assert.Equal(open, BerlinNight.IsOpen(instant));
    }

    [Fact]
    public void The_offset_an_instant_is_written_in_does_not_matter()
    {
        // Arrange: 22:30 in Berlin, written in UTC and in New York time
        var utc = Utc(2, 10, 21, 30);

        // Act / Assert
        Assert.True(BerlinNight.IsOpen(utc));
        Assert.True(BerlinNight.IsOpen(utc.ToOffset(TimeSpan.FromHours(-5))));
    }

    [Fact]
    public void On_the_spring_dst_day_a_night_window_closes_by_the_wall_clock_an_hour_shorter()
    {
        // Arrange: on 2026-03-29 Berlin moves from 02:00 CET to 03:00 CEST (01:00 UTC).
        // The night before, 22:00 CET = 21:00 UTC; that morning, 05:00 CEST = 03:00 UTC.

        // Act / Assert
        Assert.False(BerlinNight.IsOpen(Utc(3, 28, 20, 59)));
        Assert.True(BerlinNight.IsOpen(Utc(3, 28, 21, 0)));
        Assert.True(BerlinNight.IsOpen(Utc(3, 29, 1, 0)));   // 03:00 CEST, just after the jump
        Assert.True(BerlinNight.IsOpen(Utc(3, 29, 2, 59)));  // 04:59 CEST
        Assert.False(BerlinNight.IsOpen(Utc(3, 29, 3, 0)));  // 05:00 CEST: six hours after it opened
        Assert.True(BerlinNight.IsOpen(Utc(3, 28, 3, 30)));  // the morning before, 04:30 CET, was still open
    }

    [Fact]
    public void A_window_inside_the_skipped_spring_hour_never_opens_that_night()
    {
        // Arrange: 02:15-02:45 does not exist in Berlin on 2026-03-29
        var window = BerlinNight with { Start = new TimeOnly(2, 15), End = new TimeOnly(2, 45) };

        // Act
        var openMinutes = Enumerable.Range(0, 24 * 60).Count(m => window.IsOpen(Utc(3, 28, 12).AddMinutes(m)));

        // Assert
        Assert.Equal(0, openMinutes);
        Assert.True(window.IsOpen(Utc(3, 30, 0, 30))); // 02:30 CEST the next night
    }

    [Fact]
    public void On_the_autumn_dst_day_the_repeated_hour_is_open_twice()
    {
        // Arrange: on 2026-10-25 Berlin goes back from 03:00 CEST to 02:00 CET (01:00 UTC), so 02:00-03:00 happens twice
        var window = BerlinNight with { Start = new TimeOnly(2, 0), End = new TimeOnly(3, 0) };

        // Act / Assert
        Assert.False(window.IsOpen(Utc(10, 24, 23, 59))); // 01:59 CEST
        Assert.True(window.IsOpen(Utc(10, 25, 0, 0)));    // 02:00 CEST
        Assert.True(window.IsOpen(Utc(10, 25, 1, 30)));   // 02:30 CET, the second time round
        Assert.False(window.IsOpen(Utc(10, 25, 2, 0)));   // 03:00 CET
        var openMinutes = Enumerable.Range(0, 24 * 60).Count(m => window.IsOpen(Utc(10, 24, 12).AddMinutes(m)));
        Assert.Equal(120, openMinutes);
    }

    [Fact]
    public void An_unknown_zone_is_refused_rather_than_guessed()
    {
        Assert.Throws<ArgumentException>(() => (BerlinNight with { TimeZoneId = "Mars/Olympus" }).IsOpen(Utc(1, 1, 0)));
    }
}
