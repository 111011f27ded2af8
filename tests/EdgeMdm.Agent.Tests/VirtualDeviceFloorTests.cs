using EdgeMdm.Agent.Cli;

namespace EdgeMdm.Agent.Tests;

/// <summary>What a simulated device tells the appliance's floor: its pack, time to full, cradle slot, access point, shift rhythm.</summary>
public sealed class VirtualDeviceFloorTests
{
    private static VirtualDevice Handheld(Microsoft.Extensions.Time.Testing.FakeTimeProvider clock, int index, CradleBank? cradles = null, ShiftRhythm? shifts = null) =>
        Enumerable.Range(index * 100, 100)
            .Select(i => new VirtualDevice("HH" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture), i, clock, new SiteFloor(cradles, shifts)))
            .First(d => d.Model is not "VC8300");

    [Fact]
    public void The_pack_serial_is_stable_and_time_to_full_is_reported_only_while_charging()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock, 40, docked: true);

        var charging = device.CurrentStatus().Battery!;
        device.ForceDock(false, TimeSpan.FromHours(4));
        var onFloor = device.CurrentStatus().Battery!;

        Assert.Equal("BP-TEST0001", charging.Serial);
        Assert.Equal(charging.Serial, onFloor.Serial);
        // 40 → 80 % at 0.8 %/min, then 80 → 100 % at 0.35 %/min.
        Assert.Equal(108, charging.TimeToFullMinutes);
        Assert.Null(onFloor.TimeToFullMinutes);
    }

    [Fact]
    public void The_time_to_full_the_device_reports_is_about_how_long_it_takes()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock, 55, docked: true);
        var promised = device.CurrentStatus().Battery!.TimeToFullMinutes!.Value;

        clock.Advance(TimeSpan.FromMinutes(promised + 1));

        Assert.Equal(100, device.CurrentStatus().Battery!.Level);
    }

    [Fact]
    public void Docking_devices_take_free_slots_of_the_shared_cradles_and_free_them_when_they_leave()
    {
        var clock = TestData.Clock();
        var bank = CradleBank.TryParse("gpio-1:1,bay-3:1", out _)!;
        var devices = Enumerable.Range(0, 3).Select(i => Handheld(clock, i, bank)).ToList();

        foreach (var device in devices)
            device.ForceDock(true, TimeSpan.FromHours(4));
        var slots = devices.Select(d => d.CurrentStatus().Battery!.DockedAt).ToList();
        devices[0].ForceDock(false, TimeSpan.FromHours(4));
        var afterLeaving = devices[2].CurrentStatus().Battery!.DockedAt;

        Assert.Equal(("gpio-1", 1), (slots[0]!.CradleId, slots[0]!.Slot!.Value));
        Assert.Equal(("bay-3", 1), (slots[1]!.CradleId, slots[1]!.Slot!.Value));
        Assert.Null(slots[2]);
        Assert.True(devices[2].CurrentStatus().Battery!.Docked);
        Assert.Null(devices[0].CurrentStatus().Battery!.DockedAt);
        Assert.Equal("gpio-1", afterLeaving!.CradleId);
        Assert.Equal(2, bank.Occupied);
    }

    [Fact]
    public void A_device_on_the_floor_roams_between_the_sites_access_points()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock, 100, docked: false);
        var seen = new HashSet<string>(StringComparer.Ordinal);

        for (var minute = 0; minute < 180; minute += 5)
        {
            clock.Advance(TimeSpan.FromMinutes(5));
            seen.Add(device.CurrentStatus().Wifi!.Bssid!);
        }

        Assert.True(seen.Count >= 3, "roamed between " + seen.Count);
        Assert.All(seen, bssid => Assert.StartsWith("3c:5a:b4:0e:10:0", bssid, StringComparison.Ordinal));
    }

    [Fact]
    public void With_a_shift_pattern_devices_are_out_during_shifts_and_docked_after_but_for_a_few_stragglers()
    {
        var clock = TestData.Clock(); // 06:00 UTC
        clock.SetLocalTimeZone(TimeZoneInfo.Utc);
        var rhythm = ShiftRhythm.TryParse("06:00-14:00", out _)!;
        var devices = Enumerable.Range(0, 40).Select(i => Handheld(clock, i, shifts: rhythm)).ToList();

        clock.Advance(TimeSpan.FromHours(4)); // 10:00
        var outAtTen = devices.Count(d => d.CurrentStatus().Battery!.Docked == false);
        clock.Advance(TimeSpan.FromMinutes(4 * 60 + 15)); // 14:15
        var outAfterEnd = devices.Count(d => d.CurrentStatus().Battery!.Docked == false);
        clock.Advance(TimeSpan.FromHours(3)); // 17:15
        var outInTheEvening = devices.Count(d => d.CurrentStatus().Battery!.Docked == false);

        Assert.InRange(outAtTen, 36, 40); // a flat battery or two may be charging
        Assert.InRange(outAfterEnd, 0, 8);
        Assert.Equal(0, outInTheEvening);
    }

    [Fact]
    public void The_same_device_follows_the_same_shift_rhythm_every_time()
    {
        static List<(bool?, string?)> Run()
        {
            var clock = TestData.Clock();
            clock.SetLocalTimeZone(TimeZoneInfo.Utc);
            var device = new VirtualDevice("SIM00007", 7, clock, new SiteFloor(null, ShiftRhythm.TryParse("06:00-14:00,14:00-22:00", out _)));
            var seen = new List<(bool?, string?)>();
            for (var i = 0; i < 48; i++)
            {
                clock.Advance(TimeSpan.FromMinutes(30));
                var status = device.CurrentStatus();
                seen.Add((status.Battery!.Docked, status.Wifi!.Bssid));
            }

            return seen;
        }

        Assert.Equal(Run(), Run());
    }

    [Theory]
    [InlineData("gpio-1", "is not CRADLE:SLOTS")]
    [InlineData("gpio-1:0", "is not CRADLE:SLOTS")]
    [InlineData("gpio-1:8,gpio-1:4", "given twice")]
    [InlineData("", "name at least one cradle")]
    public void A_bad_cradle_list_is_refused_with_the_reason(string text, string reason)
    {
        Assert.Null(CradleBank.TryParse(text, out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("06:00", "is not a shift")]
    [InlineData("06:00-06:00", "is not a shift")]
    [InlineData("25:00-06:00", "is not a shift")]
    public void A_bad_shift_pattern_is_refused_with_the_reason(string text, string reason)
    {
        Assert.Null(ShiftRhythm.TryParse(text, out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--cradles", "gpio-1", "invalid --cradles: 'gpio-1' is not CRADLE:SLOTS")]
    [InlineData("--shift-pattern", "06:00", "invalid --shift-pattern: '06:00' is not a shift")]
    public async Task Simulate_refuses_a_bad_floor_option_before_it_starts(string option, string value, string message)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await AgentCli.RunAsync(
            ["simulate", "--server", "https://127.0.0.1:9/", "--token", "t", "--devices", "1", "--duration", "1s", option, value], stdout, stderr);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, stderr.ToString(), StringComparison.Ordinal);
    }
}
