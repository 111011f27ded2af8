using System.Net;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Approvals;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Commands;
using EdgeMdm.Testing;
using static EdgeMdm.Edge.Tests.SpareTestFloor;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Dangerous actions at the site through the supervisor page over real https and the operator CLI: a wipe, a bulk lock
/// and a retirement need a reason that lands in the audit trail; a wipe over the threshold waits for a second person,
/// whose approval queues it once. The CLI part uses the process's console: this runs in the console collection.
/// </summary>
[Collection(CustodyCliTests.Name)]
public sealed class DangerousActionTests
{
    private static Task<HttpResponseMessage> WipeAsync(FormBrowser browser, string deviceId, string reason) =>
        browser.PostFormAsync($"/devices/{deviceId}", $"/devices/{deviceId}/actions", [new("action", "wipe"), new("reason", reason)]);

    /// <summary>Approves as the page's form would; the anti-forgery token comes from a page that has a form whatever the request's state.</summary>
    private static Task<HttpResponseMessage> ApproveAsync(FormBrowser browser, string deviceId, string id) =>
        browser.PostFormAsync($"/devices/{deviceId}", "/approvals/approve", [new("id", id)]);

    private static IReadOnlyList<AuditRecord> Trail(EdgeServer server) => server.Get<IAuditTrail>().Between(null, null);

    [Fact]
    public async Task Over_the_threshold_a_wipe_waits_for_a_second_supervisor_who_queues_it_once()
    {
        // Arrange: every wipe needs an approval
        await using var server = await EdgeServer.StartAsync("--Edge:DangerousActions:WipeApprovalThreshold", "0");
        var device = await ActiveAsync(server, "SN-1");
        using var ann = await SupervisorPagesTests.SignedInAsync(server, "ann", SiteUserRoles.Supervisor);
        using var bea = await SupervisorPagesTests.SignedInAsync(server, "bea", SiteUserRoles.Supervisor);
        using var tom = await SupervisorPagesTests.SignedInAsync(server, "tom", SiteUserRoles.Technician);

        // Act
        using var requested = await WipeAsync(ann, device.DeviceId, "stolen from truck 4");
        var pending = server.Get<ICommandRequests>().List(pendingOnly: true, server.Clock.GetUtcNow()).Single();
        var queuedBefore = server.Get<ICommandStore>().ListCommands(device.DeviceId).Count;
        using var self = await ApproveAsync(ann, device.DeviceId, pending.Id);
        using var technician = await ApproveAsync(tom, device.DeviceId, pending.Id);
        using var approved = await ApproveAsync(bea, device.DeviceId, pending.Id);
        using var again = await ApproveAsync(bea, device.DeviceId, pending.Id);
        var page = await (await ann.GetAsync("/approvals")).Content.ReadAsStringAsync();

        // Assert
        Assert.Equal(HttpStatusCode.Redirect, requested.StatusCode);
        Assert.Contains("waits%20for%20a%20second%20supervisor", requested.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(0, queuedBefore);
        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Contains("a second person must approve it", await self.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, technician.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, approved.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var wipe = Assert.Single(server.Get<ICommandStore>().ListCommands(device.DeviceId));
        Assert.Equal("wipe", wipe.Type);
        Assert.Contains($"data-approval=\"{pending.Id}\" data-status=\"Approved\"", page, StringComparison.Ordinal);
        var trail = Trail(server);
        var request = Assert.Single(trail, r => string.Equals(r.Action, AuditActions.ApprovalRequested, StringComparison.Ordinal));
        Assert.Equal(("site-user:ann", pending.Id), (request.Actor, request.Subject));
        Assert.EndsWith("stolen from truck 4", request.Detail, StringComparison.Ordinal);
        var grant = Assert.Single(trail, r => string.Equals(r.Action, AuditActions.ApprovalGranted, StringComparison.Ordinal));
        Assert.Equal(("site-user:bea", pending.Id), (grant.Actor, grant.Subject));
        var queued = Assert.Single(trail, r => string.Equals(r.Action, AuditActions.CommandQueued, StringComparison.Ordinal) && string.Equals(r.Subject, device.DeviceId, StringComparison.Ordinal));
        Assert.Equal($"wipe {wipe.CommandId}: stolen from truck 4", queued.Detail);
    }

    [Fact]
    public async Task An_approval_after_the_window_is_refused_and_queues_nothing()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync("--Edge:DangerousActions:WipeApprovalThreshold", "0", "--Edge:DangerousActions:ApprovalMinutes", "1");
        var device = await ActiveAsync(server, "SN-1");
        using var ann = await SupervisorPagesTests.SignedInAsync(server, "ann", SiteUserRoles.Supervisor);
        using var bea = await SupervisorPagesTests.SignedInAsync(server, "bea", SiteUserRoles.Supervisor);
        using var requested = await WipeAsync(ann, device.DeviceId, "left the company");
        var pending = server.Get<ICommandRequests>().List(pendingOnly: true, server.Clock.GetUtcNow()).Single();

        // Act
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        using var late = await ApproveAsync(bea, device.DeviceId, pending.Id);

        // Assert
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("expired", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(server.Get<ICommandStore>().ListCommands(device.DeviceId));
        Assert.Empty(server.Get<ICommandRequests>().List(pendingOnly: true, server.Clock.GetUtcNow()));
        Assert.Equal("Expired", server.Get<ICommandRequests>().List(pendingOnly: false, server.Clock.GetUtcNow()).Single().Status);
        Assert.DoesNotContain(Trail(server), r => string.Equals(r.Action, AuditActions.ApprovalGranted, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_cli_needs_a_reason_sends_a_small_wipe_at_once_and_holds_a_large_one_for_another_person()
    {
        // Arrange: six devices in group pickers, one more than the default threshold; one of another group
        await using var server = await EdgeServer.StartAsync();
        var pickers = new List<string>();
        for (var i = 0; i < 6; i++)
            pickers.Add((await server.EnrollAsync($"SN-P{i}")).DeviceId);
        var single = pickers[0];

        // Act
        var noReason = await OperatorCli.RunAsync(server, "commands", "send", "--group", "pickers", "wipe");
        var bulkLockNoReason = await OperatorCli.RunAsync(server, "commands", "send", "--group", "pickers", "lock", "--reason", " ");
        var retireNoReason = await OperatorCli.RunAsync(server, "devices", "set-state", single, "Retired", "--reason", " ");
        var small = await OperatorCli.RunAsync(server, "commands", "send", "--device", single, "wipe", "--reason", "cracked, to be recycled");
        var large = await OperatorCli.RunAsync(server, "commands", "send", "--group", "pickers", "wipe", "--reason", "site closing", "--json");
        var listed = await OperatorCli.RunAsync(server, "approvals", "list");
        var id = server.Get<ICommandRequests>().List(pendingOnly: true, DateTimeOffset.UtcNow).Single().Id;
        var self = await OperatorCli.RunAsync(server, "approvals", "approve", id);
        var byAnother = await server.Get<ICommandRequests>().ApproveAsync(id, "site-user:bea", _ => true, DateTimeOffset.UtcNow);

        // Assert
        Assert.Equal((2, "edgemdm-edge: --reason is required for a wipe: it goes into the audit trail\n"), (noReason.Exit, noReason.Err));
        Assert.Equal((2, "edgemdm-edge: --reason is required for a lock of several devices: it goes into the audit trail\n"), (bulkLockNoReason.Exit, bulkLockNoReason.Err));
        Assert.Equal((2, "edgemdm-edge: --reason is required for retiring a device: it goes into the audit trail\n"), (retireNoReason.Exit, retireNoReason.Err));
        Assert.True(small.Exit == 0, small.Err);
        Assert.Matches("^cmd-[0-9a-f]{16}\n$", small.Out);
        Assert.True(large.Exit == 0, large.Err);
        Assert.Contains($"\"id\":\"{id}\"", large.Out, StringComparison.Ordinal);
        Assert.Contains("\"devices\":6", large.Out, StringComparison.Ordinal);
        Assert.Contains(id, listed.Out, StringComparison.Ordinal);
        Assert.Contains("site closing", listed.Out, StringComparison.Ordinal);
        Assert.Equal(1, self.Exit);
        Assert.Contains("a second person must approve it", self.Err, StringComparison.Ordinal);
        Assert.Equal(6, byAnother.Value!.CommandIds.Count);
        Assert.NotEqual(DeviceState.Retired, server.Get<Devices.IDeviceQueries>().Find(single)!.State);
        Assert.Equal(7, server.Get<ICommandStore>().ListCommands(null).Count(c => string.Equals(c.Type, "wipe", StringComparison.Ordinal)));
    }
}
