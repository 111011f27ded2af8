namespace EdgeMdm.Agent.Tests;

public sealed class VirtualDevicePhysicsTests
{
    [Fact]
    public void Battery_drains_while_undocked()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        device.SetBatteryLevel(70);
        device.ForceDock(false, TimeSpan.FromHours(4));

        clock.Advance(TimeSpan.FromHours(1));
        var battery = device.CurrentStatus().Battery!;

        Assert.InRange(battery.Level!.Value, 45, 66); // roughly 5–20 % an hour on the floor
        Assert.False(battery.Docked);
        Assert.False(battery.Charging);
    }

    [Fact]
    public void Battery_charges_when_docked()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        device.SetBatteryLevel(30);
        device.ForceDock(true, TimeSpan.FromHours(4));

        clock.Advance(TimeSpan.FromMinutes(30));
        var battery = device.CurrentStatus().Battery!;

        Assert.InRange(battery.Level!.Value, 50, 60);
        Assert.True(battery.Docked);
        Assert.True(battery.Charging);
    }

    [Fact]
    public void Full_battery_in_the_cradle_is_not_charging()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        device.SetBatteryLevel(95);
        device.ForceDock(true, TimeSpan.FromHours(4));

        clock.Advance(TimeSpan.FromHours(1));
        var battery = device.CurrentStatus().Battery!;

        Assert.Equal(100, battery.Level);
        Assert.False(battery.Charging);
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
