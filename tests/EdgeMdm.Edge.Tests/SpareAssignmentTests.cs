using EdgeMdm.Contracts.Sync;
using Microsoft.Extensions.DependencyInjection;
using static EdgeMdm.Edge.Tests.SpareTestFloor;

namespace EdgeMdm.Edge.Tests;

/// <summary>A device's assignment: set and cleared by the operator, synced as <c>DeviceReassigned</c>, re-sent in a snapshot.</summary>
public sealed class SpareAssignmentTests
{
    [Fact]
    public async Task Assigning_and_clearing_write_one_reassignment_each_and_show_in_the_device()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await ActiveAsync(server, "SN-1");
        var before = Outbox(server).Count;

        await AssignAsync(server, "SN-1", "route 7");
        await AssignAsync(server, "SN-1", "route 7");
        var shown = server.Get<IDeviceQueries>().Device("SN-1")!.Device.Assignment;
        await AssignAsync(server, "SN-1", null);

        var changes = Outbox(server).Skip(before).ToList();
        Assert.Equal("route 7", shown);
        Assert.Null(server.Get<IDeviceQueries>().ListDevices().Single().Assignment);
        Assert.Equal([("", "route 7"), ("route 7", "")], changes.Select(c => (c.DeviceReassigned.FromAssignment, c.DeviceReassigned.ToAssignment)));
        Assert.All(changes, c => Assert.Equal((device.DeviceId, "pickers", ""), (c.DeviceId, c.DeviceReassigned.ToGroup, c.DeviceReassigned.SwapId)));
    }

    [Fact]
    public async Task A_snapshot_for_a_hub_that_lost_changes_resends_assignments()
    {
        await using var server = await EdgeServer.StartAsync();
        var assigned = await ActiveAsync(server, "SN-1");
        await ActiveAsync(server, "SN-2");
        await AssignAsync(server, "SN-1", "picker 12");
        var snapshot = server.Get<IEnumerable<ISiteSnapshot>>().Single(s => string.Equals(s.GetType().Name, "DeviceSnapshot", StringComparison.Ordinal));
        var before = Outbox(server).Count;

        await server.Get<EdgeStorage>().WriteAsync(unit =>
        {
            snapshot.AppendSnapshot(unit, Now(server));
            return 0;
        });

        var resent = Assert.Single(Outbox(server).Skip(before), c => c.ChangeCase == SiteChange.ChangeOneofCase.DeviceReassigned);
        Assert.Equal((assigned.DeviceId, "picker 12", "pickers"), (resent.DeviceId, resent.DeviceReassigned.ToAssignment, resent.DeviceReassigned.ToGroup));
    }
}
