using EdgeMdm.Cloud.Fleet;
using EdgeMdm.Cloud.Sites;

namespace EdgeMdm.Cloud.Tests;

// The site's upstream log applied exactly once, its feed, and what it reports of its own sync (IUpstreamStore,
// IFeedStore, IStateDigest), on every backend.
public abstract partial class HubStoreConformance
{
    [SkippableTheory]
    [InlineData(2)]
    [InlineData(10)]
    public async Task Duplicate_batches_leave_the_state_of_a_single_clean_delivery(int times)
    {
        // Arrange
        var log = SiteLog(devices: 4);

        // Act / Assert: each batch of 7 arrives that many times in a row
        await AssertDeliveredLikeCleanAsync(log, log.Chunk(7).SelectMany(batch => Enumerable.Repeat(batch, times)));
    }

    [SkippableFact]
    public async Task Reordered_batches_apply_only_in_sequence_and_end_like_a_clean_delivery()
    {
        // Arrange
        var log = SiteLog(devices: 3);
        var batches = log.Chunk(5).ToList();
        var (store, site) = await StoreWithSiteAsync();

        // Act: the batches arrive backwards and shuffled inside, then the site resends from the hub's ack
        var acks = new List<ulong>();
        foreach (var batch in Enumerable.Reverse(batches))
            acks.Add(await store.Upstream.ApplyUpstreamAsync(site, batch.Reverse().ToList(), Now));
        var resumed = await store.Upstream.ApplyUpstreamAsync(site, log.Where(c => c.Sequence > acks[^1]).ToList(), Now);

        // Assert: nothing past a gap was applied, the first batch only then counted
        Assert.All(acks.Take(acks.Count - 1), a => Assert.Equal(0UL, a));
        Assert.Equal((ulong)batches[0].Length, acks[^1]);
        Assert.Equal((ulong)log.Count, resumed);
        Assert.Equal(await CleanDigestAsync(log), await store.Digest.StateDigestAsync());
    }

    [SkippableFact]
    public async Task A_gap_stops_application_until_the_missing_batch_arrives()
    {
        // Arrange
        var log = SiteLog(devices: 2);
        var (store, site) = await StoreWithSiteAsync();
        var first = log.Take(4).ToList();
        var missing = log.Skip(4).Take(3).ToList();
        var rest = log.Skip(7).ToList();

        // Act
        var afterFirst = await store.Upstream.ApplyUpstreamAsync(site, first, Now);
        var afterGap = await store.Upstream.ApplyUpstreamAsync(site, rest, Now);
        var held = await store.Upstream.AppliedThroughAsync(site);
        var afterMissing = await store.Upstream.ApplyUpstreamAsync(site, missing, Now);
        var afterRest = await store.Upstream.ApplyUpstreamAsync(site, rest, Now);

        // Assert
        Assert.Equal((4UL, 4UL, 4UL, 7UL), (afterFirst, afterGap, held, afterMissing));
        Assert.Equal((ulong)log.Count, afterRest);
        Assert.Equal(await CleanDigestAsync(log), await store.Digest.StateDigestAsync());
    }

    [SkippableFact]
    public async Task Overlapping_batches_apply_each_change_once()
    {
        // Arrange
        var log = SiteLog(devices: 3);

        // Act / Assert: windows of 6 moving by 4, as a site resending from a stale acknowledgement would
        var windows = Enumerable.Range(0, log.Count).Where(start => start % 4 == 0).Select(start => log.Skip(start).Take(6).ToList());
        await AssertDeliveredLikeCleanAsync(log, windows);
    }

    [SkippableFact]
    public async Task Transitions_are_never_doubled_by_replays()
    {
        // Arrange
        var log = SiteLog(devices: 1);
        var (store, site) = await StoreWithSiteAsync();

        // Act
        for (var i = 0; i < 3; i++)
            await store.Upstream.ApplyUpstreamAsync(site, log, Now);

        // Assert
        var transitions = await store.Fleet.ListTransitionsAsync(Tenant, site, "dev-0");
        Assert.Equal(["Enrolling", "Staging", "Active"], transitions.Select(t => t.ToState));
        Assert.Equal(transitions.Count, transitions.Select(t => t.Sequence).Distinct().Count());
        var device = Assert.Single(await store.Fleet.ListDevicesAsync(Tenant, site));
        Assert.Equal(("SN-0", "Active", true), (device.Serial, device.State, device.Compliant));
    }

    [SkippableFact]
    public async Task Concurrent_deliveries_of_the_same_batches_through_two_replicas_apply_once()
    {
        // Arrange
        var log = SiteLog(devices: 6);
        var connectionString = await NewDatabaseAsync();
        var replicaA = await OpenAsync(connectionString);
        var replicaB = await OpenAsync(connectionString);
        var site = (await replicaA.Sites.AddSiteAsync(Tenant, SiteName)).SiteId;

        // Act: four deliverers (two per replica) race every batch, as a site reconnecting to another replica
        // while its old stream is still being applied would
        foreach (var batch in log.Chunk(10))
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
                Task.Run(() => (i % 2 == 0 ? replicaA : replicaB).Upstream.ApplyUpstreamAsync(site, batch, Now))));
        }

        // Assert
        Assert.Equal((ulong)log.Count, await replicaB.Upstream.AppliedThroughAsync(site));
        Assert.Equal(await CleanDigestAsync(log), await replicaA.Digest.StateDigestAsync());
    }

    [SkippableFact]
    public async Task Replicas_starting_together_migrate_one_database_once()
    {
        // Arrange
        var connectionString = await NewDatabaseAsync();

        // Act
        var replicas = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => OpenAsync(connectionString))));
        var site = await replicas[0].Sites.AddSiteAsync(Tenant, SiteName);

        // Assert
        Assert.Equal(site.SiteId, await replicas[2].Sites.AuthenticateSiteAsync(site.Credential));
    }

    [SkippableFact]
    public async Task Changes_for_an_unknown_site_are_refused()
    {
        // Arrange
        var store = await NewStoreAsync();

        // Act / Assert
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Upstream.ApplyUpstreamAsync("no-such-site", SiteLog(1), Now));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Feed.AppendToFeedAsync("no-such-site", new HubChange { SiteRenamed = new() }));
        Assert.Equal((0UL, 0UL), (await store.Upstream.AppliedThroughAsync("no-such-site"), await store.Feed.FeedHeadAsync("no-such-site")));
    }

    [SkippableFact]
    public async Task Feed_positions_are_gap_free_under_concurrent_appends_from_two_replicas()
    {
        // Arrange
        var connectionString = await NewDatabaseAsync();
        var replicas = new[] { await OpenAsync(connectionString), await OpenAsync(connectionString) };
        var site = (await replicas[0].Sites.AddSiteAsync(Tenant, SiteName)).SiteId;

        // Act
        var positions = await Task.WhenAll(Enumerable.Range(0, 4).Select(writer => Task.Run(async () =>
        {
            var mine = new List<ulong>();
            for (var i = 0; i < 25; i++)
                mine.Add(await replicas[writer % 2].Feed.AppendToFeedAsync(site, new HubChange { SiteRenamed = new() { SiteId = site, Name = $"{writer}-{i}" } }));
            return mine;
        })));

        // Assert
        var feed = await replicas[1].Feed.ReadFeedAsync(site, Named, 1000);
        Assert.Equal(Enumerable.Range(2, 100).Select(p => (ulong)p), positions.SelectMany(p => p).Order());
        Assert.Equal(Enumerable.Range(2, 100).Select(p => (ulong)p), feed.Select(c => c.Position));
        Assert.Equal(100, feed.Select(c => c.SiteRenamed.Name).Distinct().Count());
        Assert.Equal(Named + 100, await replicas[0].Feed.FeedHeadAsync(site));
        Assert.Equal([41UL, 42UL, 43UL], (await replicas[0].Feed.ReadFeedAsync(site, 40, 3)).Select(c => c.Position));
    }

    [SkippableFact]
    public async Task A_sites_hello_report_gives_backlog_and_lag_that_shrink_as_its_pushes_apply()
    {
        // Arrange: the site reports 10 pending changes, the oldest 90 s old, then pushes 6 of them
        var (store, site) = await StoreWithSiteAsync();
        var log = SiteLog(devices: 2);
        var report = new SiteSyncReport(10, 10, Now.AddSeconds(-90), "Trying", Now.AddMinutes(-10));

        // Act
        var before = Assert.Single(await store.Sites.ListSitesAsync(Tenant));
        await store.Upstream.RecordHelloAsync(site, report, Now);
        var reported = Assert.Single(await store.Sites.ListSitesAsync(Tenant));
        await store.Upstream.ApplyUpstreamAsync(site, log.Take(6).ToList(), Now.AddSeconds(1));
        var partly = Assert.Single(await store.Sites.ListSitesAsync(Tenant));
        await store.Upstream.ApplyUpstreamAsync(site, log.Skip(6).Take(4).ToList(), Now.AddSeconds(2));
        var drained = Assert.Single(await store.Sites.ListSitesAsync(Tenant));

        // Assert
        Assert.Equal((null, null, null), (before.Report, before.Backlog, before.Lag(Now)));
        Assert.Equal(report, reported.Report);
        Assert.Equal((Now, Now), (reported.ReportedAt, reported.LastSyncAt));
        Assert.Equal(10UL, reported.Backlog);
        Assert.Equal(TimeSpan.FromSeconds(90), reported.Lag(Now.AddSeconds(30)));
        Assert.Equal((4UL, TimeSpan.FromSeconds(90)), (partly.Backlog, partly.Lag(Now.AddSeconds(1))));
        Assert.Equal((0UL, TimeSpan.Zero), (drained.Backlog, drained.Lag(Now.AddSeconds(2))));
    }

    [SkippableFact]
    public async Task A_silent_sites_lag_grows_with_the_time_since_its_last_report()
    {
        // Arrange
        var (store, site) = await StoreWithSiteAsync();
        await store.Upstream.RecordHelloAsync(site, new SiteSyncReport(3, 3, Now.AddMinutes(-1), "Connected", Now.AddSeconds(-5)), Now);
        var summary = Assert.Single(await store.Sites.ListSitesAsync(Tenant));

        // Act
        var withinRounds = summary.Lag(Now + SiteSummary.SilentAfter);
        var silent = summary.Lag(Now.AddHours(3));

        // Assert: age of the oldest pending change at the report, plus the silence once it is longer than SilentAfter
        Assert.Equal(TimeSpan.FromMinutes(1), withinRounds);
        Assert.Equal(TimeSpan.FromMinutes(1) + TimeSpan.FromHours(3), silent);
    }

    [SkippableFact]
    public async Task A_hello_without_a_report_only_sets_the_last_sync_and_an_unknown_site_is_refused()
    {
        // Arrange
        var (store, site) = await StoreWithSiteAsync();
        await store.Upstream.RecordHelloAsync(site, new SiteSyncReport(0, 0, null, "Connected", null), Now);

        // Act: an older appliance says hello later, without a report
        await store.Upstream.RecordHelloAsync(site, null, Now.AddMinutes(5));
        var summary = Assert.Single(await store.Sites.ListSitesAsync(Tenant));

        // Assert: the last report stays, the sync time moves
        Assert.Equal(Now.AddMinutes(5), summary.LastSyncAt);
        Assert.Equal((Now, "Connected", 0UL), (summary.ReportedAt, summary.Report!.UplinkState, summary.Backlog));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Upstream.RecordHelloAsync("no-such-site", null, Now));
    }

    [SkippableFact]
    public async Task Hello_reports_are_left_out_of_the_state_digest()
    {
        // Arrange
        var log = SiteLog(devices: 2);
        var (store, site) = await StoreWithSiteAsync();
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);

        // Act
        await store.Upstream.RecordHelloAsync(site, new SiteSyncReport(7, (ulong)log.Count + 7, Now, "Connected", Now), Now.AddHours(1));

        // Assert: what sites report of their own sync is hub-side bookkeeping, not site data
        Assert.Equal(await CleanDigestAsync(log), await store.Digest.StateDigestAsync());
    }

    [SkippableFact]
    public async Task After_the_hub_lost_changes_a_site_resending_what_it_owns_as_new_sequences_doubles_nothing()
    {
        // Arrange: the hub's database restored from a backup taken after change 9: dev-0 whole (its enrollment, its
        // transitions to Active, its status) and a command the site queued with its result. The site had gone on to
        // 14 (dev-1) and deleted what the hub acknowledged.
        var (store, site) = await StoreWithSiteAsync();
        var backup = SiteLog(devices: 1);
        backup.Add(Change(8, "dev-0", new SiteChange { CommandQueued = new() { CommandId = "cmd-site", Type = "ring", CreatedBy = "op" } }));
        backup.Add(Change(9, "dev-0", new SiteChange { CommandResult = new() { CommandId = "cmd-site", Status = CommandStatuses.Succeeded, Message = "rang", FinishedUnixMs = 9 } }));
        await store.Upstream.ApplyUpstreamAsync(site, backup, Now);
        var dev0 = Assert.Single(await store.Fleet.ListDevicesAsync(Tenant));
        var dev0Transitions = await store.Fleet.ListTransitionsAsync(Tenant, site, "dev-0");
        var command = await store.Commands.CommandStatusAsync(Tenant, "cmd-site");

        // Act: the site's next pending change is refused above the gap; it re-sends a snapshot of what it owns from 10
        var refused = await store.Upstream.ApplyUpstreamAsync(site, [Change(15, "dev-0", new SiteChange { Status = new() { StatusJson = "{}" } })], Now);
        var snapshot = new List<SiteChange>
        {
            backup[0], // dev-0's enrollment, as is
            new() { Transitioned = new() { FromState = "Active", ToState = "Active", Actor = "appliance", Reason = "resent" } },
            backup[5], // its current status
            backup[4], // its last transition, exactly
            backup[7], // the command it queued
            backup[8], // and its result
            Change(0, "dev-1", new SiteChange { Enrolled = new() { Serial = "SN-1", Group = "pickers" } }),
            Change(0, "dev-1", new SiteChange { Transitioned = new() { FromState = "Staging", ToState = "Staging", Actor = "appliance", Reason = "resent" } }),
            Change(0, "dev-1", new SiteChange { Status = new() { StatusJson = "{\"battery\":77}", Compliant = true, LastCheckinUnixMs = 5000 } }),
        };
        var resent = snapshot.Select((c, i) =>
        {
            var copy = c.Clone();
            copy.Sequence = 10 + (ulong)i;
            copy.DeviceId = c.DeviceId.Length > 0 ? c.DeviceId : "dev-0";
            return copy;
        }).ToList();
        var applied = await store.Upstream.ApplyUpstreamAsync(site, resent, Now);

        // Assert: dev-0 and the command are as the backup left them; dev-1 is back, in its state, with no invented history
        Assert.Equal((9UL, 18UL), (refused, applied));
        var devices = await store.Fleet.ListDevicesAsync(Tenant);
        Assert.Equal(dev0, devices[0]);
        Assert.Equal(dev0Transitions, await store.Fleet.ListTransitionsAsync(Tenant, site, "dev-0"));
        Assert.Equal(command, await store.Commands.CommandStatusAsync(Tenant, "cmd-site"));
        Assert.Equal(("dev-1", "SN-1", "Staging", "{\"battery\":77}"), (devices[1].DeviceId, devices[1].Serial, devices[1].State, devices[1].StatusJson));
        Assert.Empty(await store.Fleet.ListTransitionsAsync(Tenant, site, "dev-1"));
    }
}
