namespace EdgeMdm.Agent.Tests;

public sealed class VirtualDevicePhysicsTests
{
    [Theory]
    [InlineData(70, false, 60, 45, 66, false)] // drains roughly 5–20 % an hour on the floor
    [InlineData(30, true, 30, 50, 60, true)] // charges in the cradle
    [InlineData(95, true, 60, 100, 100, false)] // a full battery in the cradle is not charging
    public void Battery_drains_while_undocked_and_charges_in_the_cradle_until_full(
        int levelBefore, bool docked, int minutes, int lowestLevelAfter, int highestLevelAfter, bool charging)
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock, levelBefore, docked);

        clock.Advance(TimeSpan.FromMinutes(minutes));
        var battery = device.CurrentStatus().Battery!;

        Assert.InRange(battery.Level!.Value, lowestLevelAfter, highestLevelAfter);
        Assert.Equal(docked, battery.Docked);
        Assert.Equal(charging, battery.Charging);
    }

    [Fact]
    public void Handheld_goes_in_and_out_of_the_cradle_over_a_day_and_cycle_count_grows()
    {
        var clock = TestData.Clock();
        var device = Enumerable.Range(0, 50).Select(i => new VirtualDevice("HH" + i, i, clock)).First(d => d.Model is not "VC8300");
        var cyclesBefore = device.CurrentStatus().Battery!.CycleCount!.Value;
        var seen = new HashSet<bool>();

        for (var hour = 0; hour < 72; hour++)
        {
            clock.Advance(TimeSpan.FromHours(1));
            seen.Add(device.CurrentStatus().Battery!.Docked!.Value);
        }

        Assert.Equal(2, seen.Count);
        Assert.True(device.CurrentStatus().Battery!.CycleCount > cyclesBefore);
    }

    [Fact]
    public void Fleet_profiles_look_like_a_real_floor()
    {
        var clock = TestData.Clock();
        var devices = Enumerable.Range(1, 500).Select(i => new VirtualDevice("SIM" + i, i, clock)).ToList();
        var statuses = devices.Select(d => d.CurrentStatus()).ToList();

        var android14 = devices.Count(d => d.OsVersion is "14");
        Assert.InRange(android14, 300, 400);
        Assert.InRange(devices.Count(d => d.OsVersion is "13"), 60, 160);
        Assert.InRange(devices.Count(d => d.OsVersion is "11"), 10, 70);
        Assert.Subset(
            new HashSet<string> { "TC52", "TC57", "TC58", "CT40", "CT60", "CK65", "VC8300" },
            devices.Select(d => d.Model).ToHashSet());
        Assert.All(statuses, s => Assert.InRange(s.Battery!.HealthPercent!.Value, 70, 100));
        Assert.All(statuses, s => Assert.InRange(s.Wifi!.Rssi!.Value, -85, -45));
        Assert.All(statuses, s => Assert.Equal("WH-FLOOR", s.Wifi!.Ssid));
        Assert.All(statuses, s => Assert.True(s.Storage!.FreeBytes < s.Storage.TotalBytes));
        Assert.InRange(statuses.Count(s => s.Storage!.FreeBytes < 500L * 1024 * 1024), 10, 80); // some nearly full
    }

    [Fact]
    public void Device_is_out_of_coverage_in_about_one_to_two_percent_of_slots()
    {
        var device = new VirtualDevice("SIM00001", 1, TestData.Clock());

        var offline = Enumerable.Range(0, 40_000).Count(_ => !device.BeginCheckinSlot());

        Assert.InRange(offline / 40_000.0, 0.008, 0.025);
    }

    [Fact]
    public void Device_without_simulated_outages_is_always_in_coverage()
    {
        var device = new VirtualDevice("SIM00001", 1, TestData.Clock()) { SimulateOutages = false };

        Assert.All(Enumerable.Range(0, 5_000), _ => Assert.True(device.BeginCheckinSlot()));
    }
}
