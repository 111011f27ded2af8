using EdgeMdm.Domain.Spares;
using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Spares;
using Microsoft.Extensions.DependencyInjection;
using static EdgeMdm.Edge.Tests.SpareTestFloor;

namespace EdgeMdm.Edge.Tests;

/// <summary>Pools per model with a minimum, explicit membership, members' states, and the below-minimum alert.</summary>
public sealed class SparePoolTests
{
    private static ISpareAdmin Spares(EdgeServer server) => server.Get<ISpareAdmin>();

    [Fact]
    public async Task A_pool_under_its_minimum_raises_its_alert_and_clears_it_when_a_Ready_spare_joins()
    {
        await using var server = await EdgeServer.StartAsync();
        var first = await ActiveAsync(server, "SN-1", 95);
        var second = await ActiveAsync(server, "SN-2", 95);

        await PoolAsync(server, 2, first.DeviceId);
        var below = Assert.Single(OpenAlerts(server));
        await Spares(server).AddAsync(second.DeviceId, SpareTestFloor.Model, "test", Now(server));

        Assert.Equal(("spares.below_minimum", SpareTestFloor.Model), (below.Kind, below.Subject));
        Assert.Contains("1 Ready spare(s), minimum 2", below.Message, StringComparison.Ordinal);
        Assert.Empty(OpenAlerts(server));
        var pool = Assert.Single(Spares(server).List());
        Assert.Equal((2, 2, false), (pool.Minimum, pool.Ready, pool.BelowMinimum));
        Assert.Equal(["SN-1", "SN-2"], pool.Members.Select(m => m.Serial));
        Assert.Equal(2, Assert.Single(server.Get<ISparePools>().Pools()).Ready);
    }

    [Fact]
    public async Task Members_are_classified_by_lifecycle_compliance_assignment_and_charge()
    {
        await using var server = await EdgeServer.StartAsync();
        var ready = await ActiveAsync(server, "SN-READY", 80);
        var low = await ActiveAsync(server, "SN-LOW", 79);
        var unknown = await ActiveAsync(server, "SN-UNKNOWN", null);
        var assigned = await ActiveAsync(server, "SN-ASSIGNED", 99);
        var staging = await server.EnrollAsync("SN-STAGING");
        var repair = await ActiveAsync(server, "SN-REPAIR", 99);
        await AssignAsync(server, assigned.DeviceId, "route 7");
        await server.Get<IDeviceAdmin>().TransitionAsync(repair.DeviceId, Domain.Lifecycle.DeviceState.Quarantined, "test", "dropped", Now(server));

        await PoolAsync(server, 0, ready.DeviceId, low.DeviceId, unknown.DeviceId, assigned.DeviceId, staging.DeviceId, repair.DeviceId);

        var states = Assert.Single(Spares(server).List()).Members.ToDictionary(m => m.Serial, m => m.State, StringComparer.Ordinal);
        Assert.Equal(SpareState.Ready, states["SN-READY"]);
        Assert.Equal(SpareState.Charging, states["SN-LOW"]);
        Assert.Equal(SpareState.Charging, states["SN-UNKNOWN"]);
        Assert.Equal(SpareState.Assigned, states["SN-ASSIGNED"]);
        Assert.Equal(SpareState.Staging, states["SN-STAGING"]);
        Assert.Equal(SpareState.InRepair, states["SN-REPAIR"]);
    }

    [Fact]
    public async Task Adding_a_device_to_another_models_pool_or_without_a_pool_is_refused()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await ActiveAsync(server, "SN-1", 95);

        var noPool = (await Spares(server).AddAsync(device.DeviceId, null, "test", Now(server))).Refusal;
        await Spares(server).SetPoolAsync("MC3300", 1, "test", Now(server));
        var wrongModel = (await Spares(server).AddAsync(device.DeviceId, "MC3300", "test", Now(server))).Refusal;
        var unknown = (await Spares(server).AddAsync("SN-NOPE", null, "test", Now(server))).Refusal;

        Assert.Contains("no TC52 pool", noPool!.Detail, StringComparison.Ordinal);
        Assert.Contains("is a TC52, not a MC3300", wrongModel!.Detail, StringComparison.Ordinal);
        Assert.Equal(Domain.Outcomes.RefusalKind.NotFound, unknown?.Kind);
        Assert.Empty(Assert.Single(Spares(server).List()).Members);
    }

    [Fact]
    public async Task A_newer_cradle_reading_is_the_members_charge_and_check_ins_move_the_alert_at_the_next_periodic_look()
    {
        var cradle = new OneSlotCradle();
        await using var server = await EdgeServer.StartWithAsync(services => services.AddSingleton<ICradleFloor>(cradle));
        var spare = await ActiveAsync(server, "SN-1", 95);
        await PoolAsync(server, 1, spare.DeviceId);
        Assert.Empty(OpenAlerts(server));

        // The device drained on the floor and said so; later the cradle reads 85 % in slot 3.
        await CheckInAsync(server, spare.DeviceSecret, 30);
        server.Clock.Advance(TimeSpan.FromSeconds(31));
        var raised = await EventuallyAsync(() => OpenAlerts(server).Count == 1);
        cradle.Slot = new SlotView("bay-1", 3, SlotContent.Device, "SN-1", spare.DeviceId, 85, true, null, false, CradleSource.Mqtt, Now(server).AddSeconds(1));
        server.Clock.Advance(TimeSpan.FromSeconds(31));
        var cleared = await EventuallyAsync(() => OpenAlerts(server).Count == 0);

        Assert.True(raised && cleared);
        var member = Assert.Single(Assert.Single(Spares(server).List()).Members);
        Assert.Equal((85, "cradle", "bay-1/3", SpareState.Ready), (member.ChargePercent, member.ChargeSource, member.Slot, member.State));
    }

    [Fact]
    public async Task Alerts_are_listed_acknowledged_with_a_note_and_stay_open_until_their_condition_ends()
    {
        await using var server = await EdgeServer.StartAsync();
        await Spares(server).SetPoolAsync(SpareTestFloor.Model, 1, "test", Now(server));
        var alert = Assert.Single(OpenAlerts(server));

        var acknowledged = (await server.Get<IAlerts>().AcknowledgeAsync(alert.Id, "operator:kim", "two on order", Now(server))).Value;
        var unknown = (await server.Get<IAlerts>().AcknowledgeAsync(alert.Id + 100, "operator:kim", "x", Now(server))).Refusal;

        Assert.Equal(("operator:kim", "two on order"), (acknowledged?.AcknowledgedBy, acknowledged?.Note));
        Assert.Equal(Domain.Outcomes.RefusalKind.NotFound, unknown?.Kind);
        Assert.Equal("two on order", Assert.Single(OpenAlerts(server)).Note);
        await Spares(server).SetPoolAsync(SpareTestFloor.Model, 0, "test", Now(server));
        Assert.Empty(OpenAlerts(server));
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
            await Task.Delay(25);
        return condition();
    }

    private sealed class OneSlotCradle : ICradleFloor
    {
        public SlotView? Slot { get; set; }

        public IReadOnlyList<CradleView> Cradles() => [];

        public SlotView? SlotOf(string serial) => Slot is { } slot && string.Equals(slot.Serial, serial, StringComparison.Ordinal) ? slot : null;

        public Task<SlotView?> PickAsync(string serial, CancellationToken cancellationToken) => Task.FromResult(SlotOf(serial));

        public Task ClearPickAsync(string serial, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
