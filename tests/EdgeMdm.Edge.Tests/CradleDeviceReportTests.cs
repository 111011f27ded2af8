using EdgeMdm.Contracts.Device;
using EdgeMdm.Edge.Cradles;

namespace EdgeMdm.Edge.Tests;

/// <summary>The third source: devices saying at check-in where they are docked.</summary>
public sealed class CradleDeviceReportTests
{
    [Fact]
    public async Task A_docked_report_places_the_device_a_move_forgets_the_old_slot_and_undocking_clears_it()
    {
        await using var server = await EdgeServer.StartAsync();
        var floor = server.Get<ICradleFloor>();
        var device = await server.EnrollAsync("DOCK-1");

        await server.CheckinOkAsync(device.DeviceSecret, CradleGpioTests.Docked("dumb-7", 3, level: 45));

        var slot = floor.SlotOf("DOCK-1");
        Assert.NotNull(slot);
        Assert.Equal(("dumb-7", 3, CradleSource.Device, device.DeviceId, 45, true), (slot.CradleId, slot.Slot, slot.Source, slot.DeviceId, slot.ChargePercent, slot.Charging));
        var cradle = Assert.Single(floor.Cradles());
        Assert.Equal((CradleSource.Device, 3), (cradle.Source, cradle.SlotCount));

        await server.CheckinOkAsync(device.DeviceSecret, CradleGpioTests.Docked("dumb-7", 1, level: 46));
        Assert.Equal(1, floor.SlotOf("DOCK-1")!.Slot);
        Assert.Single(server.Get<CradleStore>().Observations());

        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Level = 44, Docked = false } } });

        Assert.Null(floor.SlotOf("DOCK-1"));
        Assert.Empty(server.Get<CradleStore>().Observations());
        Assert.Null(await floor.PickAsync("DOCK-1", CancellationToken.None));
    }

    [Fact]
    public async Task A_check_in_without_battery_changes_leaves_the_slot_alone()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("DOCK-2");
        await server.CheckinOkAsync(device.DeviceSecret, CradleGpioTests.Docked("dumb-7", 2, level: 60));

        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Os = new OsStatus { Version = "14" } } });

        Assert.Equal(2, server.Get<ICradleFloor>().SlotOf("DOCK-2")!.Slot);
    }

    [Fact]
    public async Task A_stale_device_report_gives_way_to_a_cradles_empty()
    {
        await using var server = await EdgeServer.StartAsync("--Edge:Cradles:Networked:0:Id", "bay-3", "--Edge:Cradles:Networked:0:Slots", "4");
        var device = await server.EnrollAsync("DOCK-3");
        await server.Get<EdgeMdm.Edge.Storage.EdgeStorage>().WriteAsync(unit =>
        {
            CradleStore.Record(unit, "bay-3", 2, new Domain.Floor.SlotObservation(Domain.Floor.SlotSource.Mqtt, Domain.Floor.SlotHolding.Empty, null, null, null, null, server.Clock.GetUtcNow()), null);
            return true;
        });
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        await server.CheckinOkAsync(device.DeviceSecret, CradleGpioTests.Docked("bay-3", 2, level: 60));
        Assert.Equal(CradleSource.Device, server.Get<ICradleFloor>().SlotOf("DOCK-3")!.Source);

        // Check-in interval 30 s in the test host: stale after 60 s.
        server.Clock.Advance(TimeSpan.FromSeconds(61));

        Assert.Null(server.Get<ICradleFloor>().SlotOf("DOCK-3"));
        Assert.Equal(CradleSource.Mqtt, server.Get<ICradleFloor>().Cradles().Single().Slots[1].Source);
    }
}
