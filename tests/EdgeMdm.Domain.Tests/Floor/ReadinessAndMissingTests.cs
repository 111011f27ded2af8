using EdgeMdm.Domain.Floor;

namespace EdgeMdm.Domain.Tests.Floor;

public sealed class ReadinessAndMissingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 5, 30, 0, TimeSpan.Zero);
    private static readonly ShiftOccurrence Shift = new("early", new DateOnly(2026, 11, 24), Now.AddMinutes(30), Now.AddHours(8.5));

    [Fact]
    public void Readiness_counts_charged_and_compliant_devices_spares_and_shortfall()
    {
        var shortRun = new RuntimeForecast(50, TimeSpan.FromHours(5), FallsShort: true);
        var devices = new[]
        {
            new ReadinessDevice("d1", "S1", "pickers", 95, Compliant: true, null),
            new ReadinessDevice("d2", "S2", "pickers", 90, Compliant: true, null),
            new ReadinessDevice("d3", "S3", "pickers", 99, Compliant: false, null),
            new ReadinessDevice("d4", "S4", "pickers", 50, Compliant: true, shortRun),
        };
        PoolLevel[] pools = [new("TC52", 1, 2), new("MC93", 3, 2)];

        var figure = ShiftReadiness.Compute(Shift, devices, pools, 90, Now);

        Assert.Equal(4, figure.ActiveDevices);
        Assert.Equal(2, figure.ChargedAndCompliant);
        Assert.Equal(50, figure.ReadyPercent);
        Assert.Equal(["MC93", "TC52"], figure.Spares.Select(p => p.Model));
        Assert.Equal(1, figure.PoolsBelowMinimum);
        Assert.Equal("S4", Assert.Single(figure.Shortfall).Serial);
    }

    [Fact]
    public void An_empty_fleet_is_zero_percent_ready()
    {
        Assert.Equal(0, ShiftReadiness.Compute(Shift, [], [], 90, Now).ReadyPercent);
    }

    [Fact]
    public void Devices_not_docked_are_missing_with_their_place_and_the_newest_observation_wins()
    {
        var seen = Now.AddHours(-1);
        var devices = new[]
        {
            new DeviceWhereabouts("d1", "S1", "pickers", seen, ReportedDocked: true, null, "aa:00"),
            new DeviceWhereabouts("d2", "S2", "pickers", seen, ReportedDocked: false, null, "aa:01"),
            new DeviceWhereabouts("d3", "S3", "pickers", seen.AddHours(-2), ReportedDocked: false, null, null),
            // A cradle saw it after its last report: docked.
            new DeviceWhereabouts("d4", "S4", "pickers", seen, ReportedDocked: false, new SlotSighting("gpio-1", 3, seen.AddMinutes(5)), null),
            // A cradle saw it before it reported being off the cradle: missing, last seen in that slot.
            new DeviceWhereabouts("d5", "S5", "pickers", seen, ReportedDocked: false, new SlotSighting("bay-3", 7, seen.AddMinutes(-5)), "aa:02"),
        };

        var report = MissingDevices.Compute(Shift, Shift.End.AddMinutes(30), devices, Now);

        Assert.Equal(5, report.ActiveDevices);
        Assert.Equal(["S3", "S2", "S5"], report.Missing.Select(m => m.Serial));
        Assert.Equal(["unknown", "access point aa:01", "cradle bay-3 slot 7"], report.Missing.Select(m => m.Place));
    }
}
