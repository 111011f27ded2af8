using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// A quarantined device (defect 9) still checks in, and what it reports is stored, but it is declared nothing, downloads
/// nothing, and takes only lock, wipe and ring; other commands wait until it leaves quarantine.
/// </summary>
public sealed class QuarantineTests
{
    /// <summary>A device that staged and went on the floor (Active, holding its group's declarations), then was quarantined.</summary>
    private static async Task<(EnrollResponse Device, DeclarationsDocument Group)> QuarantinedAsync(EdgeServer server, string serial = "SN-Q")
    {
        var device = await server.EnrollAsync(serial);
        var declarations = await CheckinTests.CheckInCompliantAsync(server, device.DeviceSecret);
        Assert.Equal(DeviceState.Active, server.Get<IDeviceQueries>().Device(serial)!.Device.State);
        await QuarantineAsync(server, device.DeviceId);
        return (device, declarations);
    }

    private static async Task QuarantineAsync(EdgeServer server, string deviceId) =>
        Assert.NotNull((await server.Get<IDeviceAdmin>().TransitionAsync(deviceId, DeviceState.Quarantined, "test", "lost on the floor", server.Clock.GetUtcNow())).Value);

    private static Task<Outcome<CommandSummary>> QueueAsync(EdgeServer server, string deviceId, string type) =>
        server.Get<ICommandStore>().QueueCommandAsync(deviceId, type, EdgeServer.NoParameters, null, "test", server.Clock.GetUtcNow());

    [Fact]
    public async Task A_quarantined_devices_checkin_is_stored_but_answered_the_empty_declarations()
    {
        await using var server = await EdgeServer.StartAsync();
        var (device, group) = await QuarantinedAsync(server);

        var answer = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest
        {
            DeclarationsToken = group.Token,
            Status = new DeviceStatus { Battery = CheckinTests.CompliantStatus(group).Battery! with { Level = 17 } },
        });
        var document = await server.DeclarationsAsync(device.DeviceSecret);

        var empty = Blueprint.Empty("pickers").ToDeclarations();
        Assert.Equal(empty.Token, answer.DeclarationsToken);
        Assert.NotEqual(group.Token, answer.DeclarationsToken);
        Assert.Equal((empty.Token, "pickers"), (document.Token, document.Group));
        Assert.Empty(document.Apps);
        Assert.Empty(document.Configurations);
        Assert.Empty(document.Certificates);
        var stored = server.Get<IDeviceQueries>().ListDevices().Single();
        Assert.Equal((17, 2L, DeviceState.Quarantined), (stored.BatteryLevel, stored.Checkins, stored.State));
        // Still judged against its group: it runs what the group needs, so it is compliant for when it comes back.
        Assert.True(stored.Compliant);
    }

    [Fact]
    public async Task Leaving_quarantine_declares_the_group_again()
    {
        await using var server = await EdgeServer.StartAsync();
        var (device, group) = await QuarantinedAsync(server);
        var quarantined = (await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { DeclarationsToken = group.Token })).DeclarationsToken;

        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "test", "found in the break room", server.Clock.GetUtcNow());
        var released = (await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { DeclarationsToken = quarantined })).DeclarationsToken;

        Assert.Equal(group.Token, released);
        Assert.Equal(group.Token, (await server.DeclarationsAsync(device.DeviceSecret)).Token);
    }

    [Fact]
    public async Task A_quarantined_device_downloads_no_package_even_one_its_group_declares()
    {
        using var hub = new HubCatalog();
        await using var server = await EdgeServer.StartAsync();
        var scanner = hub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, 4096);
        await HubCatalog.ApplyAsync(server, hub.Key(), hub.Published(scanner));
        await HubCatalog.CacheAsync(server, scanner);
        var device = await server.EnrollAsync("SN-Q");
        var path = "/api/v1/packages/" + scanner.Sha256;
        using (var before = await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, path, device.DeviceSecret)))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "test", "staged by hand", server.Clock.GetUtcNow());
        await QuarantineAsync(server, device.DeviceId);

        var problem = await EnrollmentTests.ProblemAsync(await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, path, device.DeviceSecret)), HttpStatusCode.Forbidden);

        Assert.Equal("Device quarantined", problem.GetProperty("title").GetString());
        Assert.Equal("device SN-Q is quarantined and downloads no packages until it leaves quarantine", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Lock_wipe_and_ring_reach_a_quarantined_device_and_other_commands_wait_until_it_leaves()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-Q");
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "test", "staged by hand", server.Clock.GetUtcNow());
        var reboot = (await QueueAsync(server, device.DeviceId, "reboot")).Value!;
        await QuarantineAsync(server, device.DeviceId);
        var queued = new List<string>();
        foreach (var type in new[] { "lock", "wipe", "ring" })
            queued.Add((await QueueAsync(server, device.DeviceId, type)).Value!.CommandId);

        var quarantined = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "test", "found", server.Clock.GetUtcNow());
        var released = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());

        Assert.Equal(queued, quarantined.Commands.Select(c => c.Id));
        Assert.Equal(["lock", "wipe", "ring"], quarantined.Commands.Select(c => c.Type));
        Assert.Equal([reboot.CommandId, .. queued], released.Commands.Select(c => c.Id));
    }

    [Fact]
    public async Task Other_commands_for_a_quarantined_device_are_refused_with_the_reason()
    {
        await using var server = await EdgeServer.StartAsync();
        var (device, _) = await QuarantinedAsync(server);

        var refused = await QueueAsync(server, device.DeviceId, "reboot");

        Assert.Equal(RefusalKind.Conflict, refused.Refusal!.Kind);
        Assert.Equal("device SN-Q is quarantined and takes only lock, wipe, ring until it leaves quarantine, not reboot", refused.Refusal.Detail);
        Assert.Empty(server.Get<ICommandStore>().ListCommands(device.DeviceId));
    }

    [Fact]
    public async Task A_group_command_skips_quarantined_devices_unless_they_take_it()
    {
        await using var server = await EdgeServer.StartAsync();
        var (quarantined, _) = await QuarantinedAsync(server, "SN-Q");
        var floor = await server.EnrollAsync("SN-FLOOR");
        var now = server.Clock.GetUtcNow();

        var reboots = await server.Get<ICommandStore>().QueueGroupCommandAsync("pickers", "reboot", EdgeServer.NoParameters, null, "test", now);
        var rings = await server.Get<ICommandStore>().QueueGroupCommandAsync("pickers", "ring", EdgeServer.NoParameters, null, "test", now);

        Assert.Equal([floor.DeviceId], reboots.Select(c => c.DeviceId));
        Assert.Equal(new[] { floor.DeviceId, quarantined.DeviceId }.Order(StringComparer.Ordinal), rings.Select(c => c.DeviceId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_hub_command_a_quarantined_device_does_not_take_fails_up_the_outbox()
    {
        await using var server = await EdgeServer.StartAsync();
        var (device, _) = await QuarantinedAsync(server);
        var batch = HubCatalog.Batch(
            new HubChange { Position = 1, CommandQueued = new CommandQueued { CommandId = "cmd-hub-reboot", DeviceId = device.DeviceId, Type = "reboot", CreatedBy = "ops@hq" } },
            new HubChange { Position = 2, CommandQueued = new CommandQueued { CommandId = "cmd-hub-lock", DeviceId = device.DeviceId, Type = "lock", CreatedBy = "ops@hq" } });

        await server.Get<IFeedStore>().ApplyDownstreamAsync(batch);
        var answer = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());

        Assert.Equal("cmd-hub-lock", Assert.Single(answer.Commands).Id);
        var changes = await server.Get<IOutboxStore>().TakeBatchAsync(1000);
        var failed = Assert.Single(changes, c => c.ChangeCase == SiteChange.ChangeOneofCase.CommandResult && string.Equals(c.CommandResult.CommandId, "cmd-hub-reboot", StringComparison.Ordinal));
        Assert.Equal("failed", failed.CommandResult.Status);
        Assert.StartsWith("device quarantined: it takes only lock, wipe, ring", failed.CommandResult.Message, StringComparison.Ordinal);
    }
}
