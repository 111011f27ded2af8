using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Fleet;
using EdgeMdm.Cloud.Sites;
using EdgeMdm.Cloud.Storage;
using EdgeMdm.Cloud.Tenants;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// What every hub store backend must do (nanomdm's e2e suite, run per backend). A subclass only says where
/// a fresh, empty database is; each call gives another one, so a test can compare a faulty delivery with a
/// clean one, and opening the same connection string twice gives two "replicas" of one database.
/// </summary>
public abstract partial class HubStoreConformance : IAsyncLifetime
{
    private const string SiteName = "DC Leipzig";
    private const string Tenant = TenantIds.Default;
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private readonly List<HubStores> _opened = [];

    protected FakeTimeProvider Time { get; } = new(Now);

    /// <summary>A connection string for a new, empty database.</summary>
    protected abstract Task<string> NewDatabaseAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
            await ((ServiceProvider)store.Services).DisposeAsync();
    }

    private async Task<HubStores> OpenAsync(string connectionString)
    {
        var store = await HubStores.OpenAsync(connectionString, Time);
        lock (_opened)
            _opened.Add(store);
        return store;
    }

    private async Task<HubStores> NewStoreAsync() => await OpenAsync(await NewDatabaseAsync());

    // ---- exactly once upstream -------------------------------------------------------------------------

    [SkippableTheory]
    [InlineData(2)]
    [InlineData(10)]
    public async Task Duplicate_batches_leave_the_state_of_a_single_clean_delivery(int times)
    {
        // Arrange
        var log = SiteLog(devices: 4);
        var (store, site) = await StoreWithSiteAsync();

        // Act
        var ack = 0UL;
        foreach (var batch in log.Chunk(7))
        {
            for (var i = 0; i < times; i++)
                ack = await store.Upstream.ApplyUpstreamAsync(site, batch, Now);
        }

        // Assert
        Assert.Equal((ulong)log.Count, ack);
        Assert.Equal(await CleanDigestAsync(log), await store.Digest.StateDigestAsync());
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
        var (store, site) = await StoreWithSiteAsync();

        // Act: windows of 6 moving by 4, as a site resending from a stale acknowledgement would
        var ack = 0UL;
        for (var start = 0; start < log.Count; start += 4)
            ack = await store.Upstream.ApplyUpstreamAsync(site, log.Skip(start).Take(6).ToList(), Now);

        // Assert
        Assert.Equal((ulong)log.Count, ack);
        Assert.Equal(await CleanDigestAsync(log), await store.Digest.StateDigestAsync());
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

    // ---- feed ------------------------------------------------------------------------------------------

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
        var feed = await replicas[1].Feed.ReadFeedAsync(site, 0, 1000);
        Assert.Equal(Enumerable.Range(1, 100).Select(p => (ulong)p), positions.SelectMany(p => p).Order());
        Assert.Equal(Enumerable.Range(1, 100).Select(p => (ulong)p), feed.Select(c => c.Position));
        Assert.Equal(100, feed.Select(c => c.SiteRenamed.Name).Distinct().Count());
        Assert.Equal(100UL, await replicas[0].Feed.FeedHeadAsync(site));
        Assert.Equal([41UL, 42UL, 43UL], (await replicas[0].Feed.ReadFeedAsync(site, 40, 3)).Select(c => c.Position));
    }

    // ---- isolation and authentication ------------------------------------------------------------------

    [SkippableFact]
    public async Task A_sites_data_is_never_visible_through_another_sites_queries()
    {
        // Arrange
        var store = await NewStoreAsync();
        var a = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        var b = (await store.Sites.AddSiteAsync(Tenant, "Site B")).SiteId;
        var command = await store.Commands.QueueCommandAsync(Tenant, a, "dev-0", "reboot", new Dictionary<string, string>(), null, "admin");

        // Act: A reports its devices; B reports a result for A's command
        await store.Upstream.ApplyUpstreamAsync(a, SiteLog(devices: 2), Now);
        await store.Upstream.ApplyUpstreamAsync(b, [Change(1, "dev-x", new SiteChange { CommandResult = new() { CommandId = command, Status = "failed" } })], Now);

        // Assert
        Assert.Empty(await store.Fleet.ListDevicesAsync(Tenant, b));
        Assert.Equal(2, (await store.Fleet.ListDevicesAsync(Tenant, a)).Count);
        Assert.Empty(await store.Fleet.ListTransitionsAsync(Tenant, b, "dev-0"));
        Assert.Empty(await store.Feed.ReadFeedAsync(b, 0, 100));
        Assert.Single(await store.Feed.ReadFeedAsync(a, 0, 100));
        Assert.Equal(1UL, await store.Upstream.AppliedThroughAsync(b));
        Assert.Equal(CommandStatuses.Queued, (await store.Commands.CommandStatusAsync(Tenant, command))!.Status);
    }

    [SkippableFact]
    public async Task A_site_is_known_by_its_credential_only()
    {
        // Arrange
        var store = await NewStoreAsync();
        var a = await store.Sites.AddSiteAsync(Tenant, "DC Leipzig #2");
        var b = await store.Sites.AddSiteAsync(Tenant, "Truck 7");

        // Act
        var asA = await store.Sites.AuthenticateSiteAsync(a.Credential);
        var asB = await store.Sites.AuthenticateSiteAsync(b.Credential);
        var wrong = await store.Sites.AuthenticateSiteAsync(a.Credential[..^1] + (a.Credential[^1] == '0' ? '1' : '0'));
        var empty = await store.Sites.AuthenticateSiteAsync("");

        // Assert
        Assert.Equal(("dc-leipzig-2", "truck-7"), (asA, asB));
        Assert.Null(wrong);
        Assert.Null(empty);
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Sites.AddSiteAsync(Tenant, "dc leipzig 2"));
        Assert.Equal(["dc-leipzig-2", "truck-7"], (await store.Sites.ListSitesAsync(Tenant)).Select(s => s.SiteId));
    }

    // ---- catalog ---------------------------------------------------------------------------------------

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
        var queued = Assert.Single(await store.Feed.ReadFeedAsync(site, 0, 10)).CommandQueued;
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
        Assert.Empty(await store.Feed.ReadFeedAsync(site, 0, 10)); // the site owns it: nothing goes back down
    }

    [SkippableFact]
    public async Task Blueprint_upsert_feeds_every_site_once_and_nothing_when_unchanged()
    {
        // Arrange
        var store = await NewStoreAsync();
        var a = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        var b = (await store.Sites.AddSiteAsync(Tenant, "Site B")).SiteId;
        var blueprint = Blueprint.Empty("pickers") with
        {
            Apps = [new RequiredApp("com.acme.scan", 42, "4.2"), new RequiredApp("com.acme.pick", 7, "1.7")],
            Configurations = [new ConfigurationPayload("wifi", new Dictionary<string, string> { ["ssid"] = "dc", ["band"] = "5" })],
        };

        // Act
        var first = await store.Blueprints.UpsertBlueprintAsync(Tenant, blueprint);
        var again = await store.Blueprints.UpsertBlueprintAsync(Tenant, blueprint with { Apps = [.. blueprint.Apps.Reverse()] });
        var changed = await store.Blueprints.UpsertBlueprintAsync(Tenant, blueprint with { BatteryHealthFloorPercent = 80 });
        var c = (await store.Sites.AddSiteAsync(Tenant, "Site C")).SiteId;
        var deleted = await store.Blueprints.DeleteBlueprintAsync(Tenant, "pickers");
        var deletedAgain = await store.Blueprints.DeleteBlueprintAsync(Tenant, "pickers");

        // Assert
        Assert.Equal((true, false, true, true, false), (first, again, changed, deleted, deletedAgain));
        Assert.Equal((3UL, 3UL, 2UL), (await store.Feed.FeedHeadAsync(a), await store.Feed.FeedHeadAsync(b), await store.Feed.FeedHeadAsync(c)));
        var feed = await store.Feed.ReadFeedAsync(a, 0, 10);
        Assert.Equal(
            [HubChange.ChangeOneofCase.BlueprintUpserted, HubChange.ChangeOneofCase.BlueprintUpserted, HubChange.ChangeOneofCase.BlueprintDeleted],
            feed.Select(f => f.ChangeCase));
        Assert.Contains("\"batteryHealthFloorPercent\":80", feed[1].BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
        Assert.Contains("\"batteryHealthFloorPercent\":80", (await store.Feed.ReadFeedAsync(c, 0, 1))[0].BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
        Assert.Empty(await store.Blueprints.ListBlueprintsAsync(Tenant));
    }

    [SkippableFact]
    public async Task Blueprints_round_trip_through_the_store()
    {
        // Arrange
        var store = await NewStoreAsync();
        var blueprint = Blueprint.Empty("drivers") with
        {
            Os = new OsFloor("13", new DateOnly(2026, 9, 1)),
            Certificates = [new CertificateRule("wifi-eap", 30)],
        };

        // Act
        await store.Blueprints.UpsertBlueprintAsync(Tenant, blueprint);
        var listed = Assert.Single(await store.Blueprints.ListBlueprintsAsync(Tenant));

        // Assert
        Assert.Equal(blueprint.ToDeclarations().Token, listed.ToDeclarations().Token);
    }

    [SkippableFact]
    public async Task An_issued_token_reaches_only_its_site_as_a_hash()
    {
        // Arrange
        var store = await NewStoreAsync();
        var a = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        var b = (await store.Sites.AddSiteAsync(Tenant, "Site B")).SiteId;

        // Act
        var token = await store.EnrollmentTokens.IssueTokenAsync(Tenant, a, "pickers", 50, Now.AddDays(7));

        // Assert
        var issued = Assert.Single(await store.Feed.ReadFeedAsync(a, 0, 10)).TokenIssued;
        Assert.Equal((CanonicalHash.Sha256Hex(token), token[..8], "pickers", 50U), (issued.TokenHash, issued.TokenPrefix, issued.Group, issued.Uses));
        Assert.Equal(Now.AddDays(7).ToUnixTimeMilliseconds(), issued.ExpiresUnixMs);
        Assert.Empty(await store.Feed.ReadFeedAsync(b, 0, 10));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.EnrollmentTokens.IssueTokenAsync(Tenant, "no-such-site", "pickers", 1, Now));
    }

    [SkippableFact]
    public async Task Fleet_reads_show_what_sites_reported()
    {
        // Arrange
        var store = await NewStoreAsync();
        var a = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        var b = (await store.Sites.AddSiteAsync(Tenant, "Site B")).SiteId;

        // Act
        await store.Upstream.ApplyUpstreamAsync(a, SiteLog(devices: 3), Now);
        await store.Upstream.ApplyUpstreamAsync(b, SiteLog(devices: 2, compliant: false), Now.AddMinutes(1));

        // Assert
        var devices = await store.Fleet.ListDevicesAsync(Tenant);
        Assert.Equal(["site-a/dev-0", "site-a/dev-1", "site-a/dev-2", "site-b/dev-0", "site-b/dev-1"], devices.Select(d => $"{d.SiteId}/{d.DeviceId}"));
        var nonCompliant = devices[^1];
        Assert.Equal((false, 1, "Active", "pickers"), (nonCompliant.Compliant, nonCompliant.Findings, nonCompliant.State, nonCompliant.Group));
        Assert.Equal([new SiteCompliance(a, 3, 3), new SiteCompliance(b, 2, 0)], await store.Fleet.ComplianceAsync(Tenant));
        var sites = await store.Sites.ListSitesAsync(Tenant);
        Assert.Equal([(ulong)SiteLog(3).Count, (ulong)SiteLog(2).Count], sites.Select(s => s.AppliedThrough));
        Assert.Equal(Now.AddMinutes(1), sites[1].LastSyncAt);
    }

    [SkippableFact]
    public async Task Api_tokens_authenticate_by_their_clear_value()
    {
        // Arrange
        var store = await NewStoreAsync();

        // Act
        var token = await store.AdminTokens.CreateApiTokenAsync(Tenant, "ci");

        // Assert
        Assert.Equal(new ApiCaller(Tenant, "ci", null), await store.AdminTokens.AuthenticateApiTokenAsync(token));
        Assert.Null(await store.AdminTokens.AuthenticateApiTokenAsync(token.ToUpperInvariant()));
        Assert.Null(await store.AdminTokens.AuthenticateApiTokenAsync(""));
    }

    // ---- site sync reports (issue 3) -------------------------------------------------------------------

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

    // ---- commands to groups (issue 3) -----------------------------------------------------------------

    [SkippableFact]
    public async Task A_group_command_reaches_every_non_retired_device_of_the_group_through_its_own_site()
    {
        // Arrange: pickers at two sites, one of them retired, and a driver
        var store = await NewStoreAsync();
        var a = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        var b = (await store.Sites.AddSiteAsync(Tenant, "Site B")).SiteId;
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
        Assert.Equal(["dev-0", "dev-1"], (await store.Feed.ReadFeedAsync(a, 0, 10)).Select(c => c.CommandQueued.DeviceId));
        Assert.Equal(["dev-0"], (await store.Feed.ReadFeedAsync(b, 0, 10)).Select(c => c.CommandQueued.DeviceId));
    }

    [SkippableFact]
    public async Task A_group_command_with_an_unknown_site_queues_nothing()
    {
        // Arrange
        var (store, site) = await StoreWithSiteAsync();

        // Act / Assert: all or none
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Commands.QueueCommandsAsync(Tenant, 
            [new CommandTarget(site, "dev-0"), new CommandTarget("zz-no-such-site", "dev-1")], "lock", new Dictionary<string, string>(), null, "admin"));
        Assert.Empty(await store.Feed.ReadFeedAsync(site, 0, 10));
        Assert.Equal(0UL, await store.Feed.FeedHeadAsync(site));
    }

    [SkippableFact]
    public async Task A_device_is_found_by_its_id_across_sites()
    {
        // Arrange
        var store = await NewStoreAsync();
        var a = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        var b = (await store.Sites.AddSiteAsync(Tenant, "Site B")).SiteId;
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

    // ---- command expiry (issue 3) ---------------------------------------------------------------------

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

    // ---- helpers ---------------------------------------------------------------------------------------

    private async Task<(HubStores Store, string SiteId)> StoreWithSiteAsync()
    {
        var store = await NewStoreAsync();
        return (store, (await store.Sites.AddSiteAsync(Tenant, SiteName)).SiteId);
    }

    /// <summary>The digest of a fresh database that received <paramref name="log"/> once, in one batch.</summary>
    private async Task<string> CleanDigestAsync(IReadOnlyList<SiteChange> log)
    {
        var (store, site) = await StoreWithSiteAsync();
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);
        return await store.Digest.StateDigestAsync();
    }

    /// <summary>
    /// A site's upstream log numbered 1..n: per device an enrollment, three transitions, two status reports
    /// and a result for a command the hub never queued (which must change nothing).
    /// </summary>
    private static List<SiteChange> SiteLog(int devices, bool compliant = true)
    {
        var log = new List<SiteChange>();
        void Add(string device, SiteChange change) => log.Add(Change((ulong)log.Count + 1, device, change));
        for (var d = 0; d < devices; d++)
        {
            var id = $"dev-{d}";
            Add(id, new SiteChange { Enrolled = new() { Serial = $"SN-{d}", Model = "TC52", Manufacturer = "Zebra", OsVersion = "13", AgentVersion = "1.0", Group = "pickers" } });
            Add(id, new SiteChange { Transitioned = new() { ToState = "Enrolling", Actor = "device", Reason = "enrolled" } });
            Add(id, new SiteChange { Transitioned = new() { FromState = "Enrolling", ToState = "Staging", Actor = "appliance", Reason = "enrolled" } });
            Add(id, new SiteChange { Status = new() { StatusJson = "{\"battery\":50}", Compliant = false, LastCheckinUnixMs = 1000 + d, Findings = { new DriftFinding { Item = "app", Severity = "Major" } } } });
            Add(id, new SiteChange { Transitioned = new() { FromState = "Staging", ToState = "Active", Actor = "appliance", Reason = "staged" } });
            var status = new StatusReported { StatusJson = "{\"battery\":49}", Compliant = compliant, LastCheckinUnixMs = 2000 + d, DeclarationsToken = "t1" };
            if (!compliant)
                status.Findings.Add(new DriftFinding { Item = "os", Expected = "14", Actual = "13", Severity = "Critical" });
            Add(id, new SiteChange { Status = status });
            Add(id, new SiteChange { CommandResult = new() { CommandId = $"unknown-{d}", Status = "succeeded" } });
        }

        return log;
    }

    private static List<SiteChange> Retire(int sequence, string deviceId) =>
        [Change((ulong)sequence, deviceId, new SiteChange { Transitioned = new() { FromState = "Active", ToState = "Retired", Actor = "admin", Reason = "broken" } })];

    private static List<SiteChange> Enroll(int sequence, string deviceId, string group) =>
        [Change((ulong)sequence, deviceId, new SiteChange { Enrolled = new() { Serial = "SN-" + deviceId, Group = group } })];

    private static SiteChange Change(ulong sequence, string deviceId, SiteChange change)
    {
        change.Sequence = sequence;
        change.DeviceId = deviceId;
        change.AtUnixMs = 1_000_000 + (long)sequence;
        return change;
    }
}
