using EdgeMdm.Cloud.Fleet;

namespace EdgeMdm.Cloud.Tests;

// Commands to devices and groups (ICommandStore, and their results through the site's log) and the fleet
// as sites reported it (IFleetReadStore), on every backend.
public abstract partial class HubStoreConformance
{
    [SkippableFact]
    public async Task A_commands_final_status_never_regresses()
    {
        // Arrange
        var (store, site) = await StoreWithSiteAsync();
        var command = await store.Commands.QueueCommandAsync(Tenant, site, "dev-0", "reboot", new Dictionary<string, string> { ["reason"] = "stuck" }, Now.AddHours(1), "admin");
        SiteChange Result(ulong sequence, string status) =>
            Change(sequence, "dev-0", new SiteChange { CommandResult = new() { CommandId = command, Status = status, Message = status, FinishedUnixMs = (long)sequence } });

        // Act
        await store.Upstream.ApplyUpstreamAsync(site, [Result(1, CommandStatuses.Delivered)], Now);
        var delivered = await store.Commands.CommandStatusAsync(Tenant, command);
        await store.Upstream.ApplyUpstreamAsync(site, [Result(2, CommandStatuses.Succeeded), Result(3, CommandStatuses.Delivered), Result(4, CommandStatuses.Failed)], Now);
        var final = await store.Commands.CommandStatusAsync(Tenant, command);

        // Assert
        Assert.Equal(CommandStatuses.Delivered, delivered!.Status);
        Assert.Equal((CommandStatuses.Succeeded, CommandStatuses.Succeeded), (final!.Status, final.Message));
        Assert.Equal(("dev-0", "reboot", "admin", Now.AddHours(1)), (final.DeviceId, final.Type, final.CreatedBy, final.ExpiresAt));
        var queued = Assert.Single(await store.Feed.ReadFeedAsync(site, Named, 10)).CommandQueued;
        Assert.Equal((command, "stuck"), (queued.CommandId, queued.Parameters["reason"]));
        Assert.Null(await store.Commands.CommandStatusAsync(Tenant, "no-such-command"));
    }

    [SkippableFact]
    public async Task A_command_queued_at_the_site_is_recorded_once_and_moved_on_by_its_results()
    {
        // Arrange: the site's log as the appliance writes it for an operator's command
        var (store, site) = await StoreWithSiteAsync();
        var other = (await store.Sites.AddSiteAsync(Tenant, "Other DC")).SiteId;
        var queued = new SiteChange
        {
            CommandQueued = new() { CommandId = "cmd-0123456789abcdef", Type = "lock", ExpiresUnixMs = Now.AddHours(2).ToUnixTimeMilliseconds(), CreatedBy = "operator" },
        };
        queued.CommandQueued.Parameters["message"] = "return to the cage";
        var log = new[]
        {
            Change(1, "dev-0", queued),
            Change(2, "dev-0", new SiteChange { CommandResult = new() { CommandId = "cmd-0123456789abcdef", Status = CommandStatuses.Delivered } }),
        };

        // Act: delivered twice, then the result; another site claiming the same id changes nothing
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);
        var delivered = await store.Commands.CommandStatusAsync(Tenant, "cmd-0123456789abcdef");
        await store.Upstream.ApplyUpstreamAsync(site, [Change(3, "dev-0", new SiteChange { CommandResult = new() { CommandId = "cmd-0123456789abcdef", Status = CommandStatuses.Succeeded, Message = "locked", FinishedUnixMs = 42 } })], Now);
        await store.Upstream.ApplyUpstreamAsync(other, [Change(1, "dev-9", queued)], Now);
        var final = await store.Commands.CommandStatusAsync(Tenant, "cmd-0123456789abcdef");

        // Assert
        Assert.Equal(CommandStatuses.Delivered, delivered!.Status);
        Assert.Equal((site, "dev-0", "lock", "operator", Now.AddHours(2)), (final!.SiteId, final.DeviceId, final.Type, final.CreatedBy, final.ExpiresAt));
        Assert.Equal((CommandStatuses.Succeeded, "locked", "queued at the site"), (final.Status, final.Message, final.Reason));
        Assert.Empty(await store.Feed.ReadFeedAsync(site, Named, 10)); // the site owns it: nothing goes back down
    }

    [SkippableFact]
    public async Task Fleet_reads_show_what_sites_reported()
    {
        // Arrange
        var (store, a, b) = await StoreWithTwoSitesAsync();

        // Act
        await store.Upstream.ApplyUpstreamAsync(a, SiteLog(devices: 3), Now);
        await store.Upstream.ApplyUpstreamAsync(b, SiteLog(devices: 2, compliant: false), Now.AddMinutes(1));

        // Assert
        var devices = await store.Fleet.ListDevicesAsync(Tenant);
        Assert.Equal(["site-a/dev-0", "site-a/dev-1", "site-a/dev-2", "site-b/dev-0", "site-b/dev-1"], devices.Select(d => $"{d.SiteId}/{d.DeviceId}"));
        var nonCompliant = devices[^1];
        Assert.Equal((false, 1, "Active", "pickers"), (nonCompliant.Compliant, nonCompliant.Findings, nonCompliant.State, nonCompliant.Group));
        var justAfter = DateTimeOffset.FromUnixTimeMilliseconds(3000); // the log's check-ins are at 2000 ms and on
        Assert.Equal([new SiteCompliance(a, 3, 3), new SiteCompliance(b, 2, 0, NonCompliant: 2)], await store.Fleet.ComplianceAsync(Tenant, justAfter, TimeSpan.FromHours(1)));
        var sites = await store.Sites.ListSitesAsync(Tenant);
        Assert.Equal([(ulong)SiteLog(3).Count, (ulong)SiteLog(2).Count], sites.Select(s => s.AppliedThrough));
        Assert.Equal(Now.AddMinutes(1), sites[1].LastSyncAt);
    }

    [SkippableFact]
    public async Task An_enrollment_starts_the_status_afresh_as_the_site_does()
    {
        // Arrange: a device that reported and was compliant, then a new one that has not reported yet
        var (store, site) = await StoreWithSiteAsync();
        var log = SiteLog(devices: 1);
        await store.Upstream.ApplyUpstreamAsync(site, [.. log, .. Enroll(log.Count + 1, "dev-new", "pickers")], Now);
        var before = (await store.Fleet.FindDeviceAsync(Tenant, "dev-0")).Single();

        // Act: the reported device enrolls again (wiped, a new secret) and has not checked in since
        var reenrolled = Enroll(log.Count + 2, "dev-0", "pickers");
        reenrolled[0].Enrolled.Reenrolled = true;
        await store.Upstream.ApplyUpstreamAsync(site, reenrolled, Now);

        // Assert: both hold what the site holds for a device with no report since its enrollment
        var after = (await store.Fleet.FindDeviceAsync(Tenant, "dev-0")).Single();
        var fresh = (await store.Fleet.FindDeviceAsync(Tenant, "dev-new")).Single();
        Assert.Equal(("{\"battery\":49}", true), (before.StatusJson, before.Compliant));
        Assert.Equal(("{}", false, 0), (after.StatusJson, after.Compliant, after.Findings));
        Assert.Equal(("{}", false, 0), (fresh.StatusJson, fresh.Compliant, fresh.Findings));
    }

    [SkippableFact]
    public async Task Compliance_counts_a_device_enrolled_a_short_while_ago_that_has_not_reported_as_unknown()
    {
        // Arrange: three reported devices, one of them retired; then one enrolled (at 1_000_000 ms + sequence) without a report
        var (store, site) = await StoreWithSiteAsync();
        var log = SiteLog(devices: 3);
        await store.Upstream.ApplyUpstreamAsync(site, [.. log, .. Retire(log.Count + 1, "dev-2"), .. Enroll(log.Count + 2, "dev-new", "pickers")], Now);
        var enrolledAt = DateTimeOffset.FromUnixTimeMilliseconds(1_000_000 + log.Count + 2);

        // Act: two minutes after the enrollment (the others enrolled moments before it, and reported), then two days later
        var soon = await store.Fleet.ComplianceAsync(Tenant, enrolledAt.AddMinutes(2), TimeSpan.FromHours(24));
        var later = await store.Fleet.ComplianceAsync(Tenant, enrolledAt.AddDays(2), TimeSpan.FromHours(24));
        var fresh = (await store.Fleet.FindDeviceAsync(Tenant, "dev-new")).Single();

        // Assert
        Assert.Equal([new SiteCompliance(site, 3, 2, Unknown: 1)], soon);
        Assert.Equal([new SiteCompliance(site, 3, 0, Stale: 3)], later);
        Assert.Equal((enrolledAt, false, 0), (fresh.EnrolledAt!.Value, fresh.Reported, fresh.DriftFindings.Count));
    }

    [SkippableFact]
    public async Task A_device_is_found_by_id_or_by_serial_and_an_id_wins_over_a_serial()
    {
        // Arrange: devices dev-0 (SN-0) and dev-1 (SN-1); a third whose serial is the text "dev-0"
        var (store, site) = await StoreWithSiteAsync();
        var log = SiteLog(devices: 2, compliant: false);
        await store.Upstream.ApplyUpstreamAsync(site, [.. log, Change((ulong)log.Count + 1, "dev-x", new SiteChange { Enrolled = new() { Serial = "dev-0", Group = "pickers" } })], Now);

        // Act
        var bySerial = await store.Fleet.FindDeviceAsync(Tenant, "SN-1");
        var byId = await store.Fleet.FindDeviceAsync(Tenant, "dev-0");

        // Assert
        Assert.Equal(["dev-1"], bySerial.Select(d => d.DeviceId));
        Assert.Equal(["dev-0"], byId.Select(d => d.DeviceId));
        var finding = Assert.Single(bySerial[0].DriftFindings);
        Assert.Equal(new DeviceFinding("os", "14", "13", "Critical"), finding);
    }

    [SkippableFact]
    public async Task A_group_command_reaches_every_non_retired_device_of_the_group_through_its_own_site()
    {
        // Arrange: pickers at two sites, one of them retired, and a driver
        var (store, a, b) = await StoreWithTwoSitesAsync();
        await store.Upstream.ApplyUpstreamAsync(a, SiteLog(devices: 2), Now);
        await store.Upstream.ApplyUpstreamAsync(b, [.. SiteLog(devices: 2), .. Retire(SiteLog(2).Count + 1, "dev-1"), .. Enroll(SiteLog(2).Count + 2, "drv-0", "drivers")], Now);

        // Act
        var group = await store.Fleet.ListGroupAsync(Tenant, "pickers");
        var groupAtB = await store.Fleet.ListGroupAsync(Tenant, "pickers", b);
        var ids = await store.Commands.QueueCommandsAsync(Tenant, 
            group.Select(d => new CommandTarget(d.SiteId, d.DeviceId)).ToList(), "lock", new Dictionary<string, string>(), Now.AddHours(1), "admin", "inventory");

        // Assert
        Assert.Equal([$"{a}/dev-0", $"{a}/dev-1", $"{b}/dev-0"], group.Select(d => $"{d.SiteId}/{d.DeviceId}"));
        Assert.Equal([$"{b}/dev-0"], groupAtB.Select(d => $"{d.SiteId}/{d.DeviceId}"));
        Assert.Equal(3, ids.Distinct().Count());
        var commands = await Task.WhenAll(ids.Select(id => store.Commands.CommandStatusAsync(Tenant, id)));
        Assert.Equal(group.Select(d => (d.SiteId, d.DeviceId)), commands.Select(c => (c!.SiteId, c.DeviceId)));
        Assert.All(commands, c => Assert.Equal((CommandStatuses.Queued, "inventory", "lock", Now), (c!.Status, c.Reason, c.Type, c.CreatedAt)));
        Assert.Equal(["dev-0", "dev-1"], (await store.Feed.ReadFeedAsync(a, Named, 10)).Select(c => c.CommandQueued.DeviceId));
        Assert.Equal(["dev-0"], (await store.Feed.ReadFeedAsync(b, Named, 10)).Select(c => c.CommandQueued.DeviceId));
    }

    [SkippableFact]
    public async Task A_group_command_with_an_unknown_site_queues_nothing()
    {
        // Arrange
        var (store, site) = await StoreWithSiteAsync();

        // Act / Assert: all or none
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Commands.QueueCommandsAsync(Tenant, 
            [new CommandTarget(site, "dev-0"), new CommandTarget("zz-no-such-site", "dev-1")], "lock", new Dictionary<string, string>(), null, "admin"));
        Assert.Empty(await store.Feed.ReadFeedAsync(site, Named, 10));
        Assert.Equal(Named, await store.Feed.FeedHeadAsync(site));
    }

    [SkippableFact]
    public async Task A_device_is_found_by_its_id_across_sites()
    {
        // Arrange
        var (store, a, b) = await StoreWithTwoSitesAsync();
        await store.Upstream.ApplyUpstreamAsync(a, SiteLog(devices: 2), Now);
        await store.Upstream.ApplyUpstreamAsync(b, SiteLog(devices: 1), Now);

        // Act
        var unique = await store.Fleet.FindDeviceAsync(Tenant, "dev-1");
        var shared = await store.Fleet.FindDeviceAsync(Tenant, "dev-0");
        var none = await store.Fleet.FindDeviceAsync(Tenant, "dev-9");

        // Assert
        Assert.Equal([a], unique.Select(d => d.SiteId));
        Assert.Equal([a, b], shared.Select(d => d.SiteId));
        Assert.Empty(none);
    }

    [SkippableFact]
    public async Task A_command_without_a_reason_stores_an_empty_one()
    {
        // Arrange
        var (store, site) = await StoreWithSiteAsync();

        // Act
        var plain = await store.Commands.QueueCommandAsync(Tenant, site, "dev-0", "ring", new Dictionary<string, string>(), null, "admin");
        var why = await store.Commands.QueueCommandAsync(Tenant, site, "dev-0", "lock", new Dictionary<string, string>(), null, "admin", "lost on the floor");

        // Assert
        Assert.Equal("", (await store.Commands.CommandStatusAsync(Tenant, plain))!.Reason);
        Assert.Equal("lost on the floor", (await store.Commands.CommandStatusAsync(Tenant, why))!.Reason);
    }

    [SkippableFact]
    public async Task A_command_that_expired_before_its_device_checked_in_ends_expired_and_stays_so()
    {
        // Arrange: a command with a 5-minute expiry; the device checks in after it, so the site reports "expired"
        var (store, site) = await StoreWithSiteAsync();
        var command = await store.Commands.QueueCommandAsync(Tenant, site, "dev-0", "lock", new Dictionary<string, string>(), Now.AddMinutes(5), "admin");
        var expiredAt = Now.AddMinutes(6).ToUnixTimeMilliseconds();
        var result = Change(1, "dev-0", new SiteChange
        {
            CommandResult = new() { CommandId = command, Status = CommandStatuses.Expired, Message = "expired before delivery", FinishedUnixMs = expiredAt },
        });
        var late = Change(2, "dev-0", new SiteChange { CommandResult = new() { CommandId = command, Status = CommandStatuses.Delivered } });

        // Act: delivered twice (a replay), then a stray late "delivered"
        await store.Upstream.ApplyUpstreamAsync(site, [result], Now.AddMinutes(7));
        await store.Upstream.ApplyUpstreamAsync(site, [result, late], Now.AddMinutes(8));
        var status = await store.Commands.CommandStatusAsync(Tenant, command);

        // Assert
        Assert.Equal((CommandStatuses.Expired, "expired before delivery"), (status!.Status, status.Message));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(expiredAt), status.FinishedAt);
        Assert.Equal(Now.AddMinutes(5), status.ExpiresAt);
    }

    [SkippableFact]
    public async Task Times_no_clock_gives_stored_before_the_hub_checked_them_read_as_unknown_or_clamped()
    {
        // Arrange: rows as a site could write them before the sync boundary checked its times
        var (store, site) = await StoreWithSiteAsync();
        await using (var s = await store.Database.BeginAsync(write: true, default))
        {
            await s.ExecuteAsync("INSERT INTO devices (site_id, device_id, state, last_checkin) VALUES (?, 'dev-far', 'Active', ?)", site, long.MaxValue);
            await s.ExecuteAsync("INSERT INTO devices (site_id, device_id, state, last_checkin) VALUES (?, 'dev-past', 'Active', ?)", site, long.MinValue);
            await s.ExecuteAsync(
                "INSERT INTO transitions (site_id, sequence, device_id, from_state, to_state, actor, reason, at) VALUES (?, 1, 'dev-far', '', 'Active', 'x', 'y', ?)",
                site, long.MaxValue);
            await s.ExecuteAsync(
                """
                INSERT INTO commands (command_id, site_id, device_id, type, parameters_json, status, created_by, created_at, expires_at, finished_at)
                VALUES ('cmd-far', ?, 'dev-far', 'ring', '{}', 'succeeded', 'op', ?, ?, ?)
                """,
                site, long.MinValue, long.MaxValue, -1L - 62_135_596_800_000L);
            await s.CommitAsync();
        }

        // Act
        var devices = await store.Fleet.ListDevicesAsync(Tenant);
        var command = await store.Commands.CommandStatusAsync(Tenant, "cmd-far");
        var transition = Assert.Single(await store.Fleet.ListTransitionsAsync(Tenant, site, "dev-far"));

        // Assert: unknown where the field may be unknown, the nearest representable time where it may not
        Assert.Equal([("dev-far", null), ("dev-past", null)], devices.Select(d => (d.DeviceId, d.LastCheckin)));
        Assert.Equal((null, null, null), (command!.ExpiresAt, command.FinishedAt, command.CreatedAt));
        Assert.Equal(DateTimeOffset.MaxValue, transition.At);
    }
}

// Staging batches a site made, and the batch of each device a batch's token enrolled (issue 24), on every backend.
public abstract partial class HubStoreConformance
{
    [SkippableFact]
    public async Task A_staging_batch_and_its_devices_batch_are_stored_once_however_often_the_log_is_delivered()
    {
        // Arrange: the site's log as the appliance writes it: the batch, then a device its token enrolled
        var (store, site) = await StoreWithSiteAsync();
        var expires = Now.AddHours(8).ToUnixTimeMilliseconds();
        var log = new[]
        {
            Change(1, "", new SiteChange { StagingBatchCreated = new() { BatchId = "b-0123456789", Group = "pickers", Plan = "", Count = 50, ExpiresUnixMs = expires } }),
            Change(2, "dev-0", new SiteChange { Enrolled = new() { Serial = "SN-0", Group = "pickers", BatchId = "b-0123456789" } }),
            // The snapshot a site re-sends carries no batch: the device keeps the one the hub knows.
            Change(3, "dev-0", new SiteChange { Enrolled = new() { Serial = "SN-0", Group = "pickers" } }),
        };

        // Act: delivered twice (a retried stream)
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);

        // Assert
        await using var s = await store.Database.BeginAsync(write: false, default);
        var batches = await s.QueryAsync("SELECT batch_id, group_name, plan_name, device_count, expires_at FROM staging_batches WHERE site_id = ?", site);
        var batch = Assert.Single(batches);
        Assert.Equal(("b-0123456789", "pickers", "", 50L, expires), (batch.Text(0), batch.Text(1), batch.Text(2), batch.Long(3), batch.Long(4)));
        var device = await s.SingleOrDefaultAsync("SELECT staging_batch_id FROM devices WHERE site_id = ? AND device_id = ?", site, "dev-0");
        Assert.Equal("b-0123456789", device!.Text(0));
    }
}
