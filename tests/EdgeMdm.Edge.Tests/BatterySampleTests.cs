using EdgeMdm.Edge.Batteries;

namespace EdgeMdm.Edge.Tests;

/// <summary>Battery samples come from real check-ins that report a battery, keyed by the pack's serial.</summary>
public sealed class BatterySampleTests
{
    [Fact]
    public async Task Check_ins_reporting_a_battery_store_a_sample_per_pack_and_others_store_none()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync("--Edge:Batteries:MinSampleIntervalSeconds", "0");
        var device = await server.EnrollAsync("SN-B1");
        var start = server.Clock.GetUtcNow();

        // Act: a pack with a serial, a check-in without a battery, then a pack the device cannot read the serial of
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest
        {
            Status = new DeviceStatus { Battery = new BatteryStatus { Serial = "PACK-1", Level = 64, HealthPercent = 88, CycleCount = 310, Charging = true, Docked = true, TimeToFullMinutes = 41 } },
        });
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Wifi = new WifiStatus { Ssid = "WH-FLOOR", Bssid = "aa:bb:cc:00:00:01" } } });
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest
        {
            Status = new DeviceStatus { Battery = new BatteryStatus { Level = 63, HealthPercent = 90, Charging = false, Docked = false } },
        });

        // Assert
        var samples = server.Get<BatterySamples>().Since(start);
        Assert.Equal(["PACK-1", "device:" + device.DeviceId], samples.Select(s => s.Battery));
        var first = samples[0];
        Assert.Equal((device.DeviceId, 64, 88, 310, true, true, 41), (first.DeviceId, first.Sample.Level, first.Sample.HealthPercent, first.Sample.CycleCount, first.Sample.Charging, first.Sample.Docked, first.TimeToFullMinutes));
        Assert.Equal(start.AddMinutes(2), samples[1].Sample.At);
    }

    [Fact]
    public async Task Samples_closer_than_the_minimum_interval_are_skipped_unless_the_charger_state_changes()
    {
        // Arrange: the default 120 s between samples of one pack
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-B2");
        var start = server.Clock.GetUtcNow();

        // Act
        foreach (var (level, docked) in new[] { (80, false), (79, false), (78, true) })
        {
            await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest
            {
                Status = new DeviceStatus { Battery = new BatteryStatus { Serial = "PACK-2", Level = level, Charging = docked, Docked = docked } },
            });
            server.Clock.Advance(TimeSpan.FromSeconds(30));
        }

        // Assert: the second (same state, 30 s later) was not stored; the third (docked) was
        Assert.Equal([80, 78], server.Get<BatterySamples>().Since(start).Select(s => s.Sample.Level));
    }

    [Fact]
    public async Task The_batteries_report_flags_packs_under_the_health_floor()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync("--Edge:Batteries:HealthFloorPercent", "85");
        var worn = await server.EnrollAsync("SN-B3");
        var fresh = await server.EnrollAsync("SN-B4");

        // Act
        await server.CheckinOkAsync(worn.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Serial = "PACK-W", Level = 50, HealthPercent = 79, CycleCount = 900 } } });
        await server.CheckinOkAsync(fresh.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Serial = "PACK-F", Level = 50, HealthPercent = 97, CycleCount = 20 } } });
        var all = server.Get<FloorReports>().Batteries(replaceOnly: false);
        var flagged = server.Get<FloorReports>().Batteries(replaceOnly: true);

        // Assert
        Assert.Equal(["PACK-W", "PACK-F"], all.Batteries.Select(b => b.Battery));
        Assert.Equal(("SN-B3", true), (all.Batteries[0].DeviceSerial, all.Batteries[0].Flagged));
        Assert.Equal(["PACK-W"], flagged.Batteries.Select(b => b.Battery));
    }
}
