using System.Text.Json;
using EdgeMdm.Cloud.Rollouts;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Cloud.Tests;

// Rollouts started by blueprint upserts, and the report built from what sites reported, on every backend.
public abstract partial class HubStoreConformance
{
    private const string Scan = "com.acme.scan";

    private static Blueprint Pickers(long versionCode, string versionName, RolloutPlan? plan = null) =>
        Blueprint.Empty("pickers") with
        {
            Apps = [new RequiredApp(Scan, versionCode, versionName) { Rollout = plan is null ? null : new AppRollout(plan) }],
        };

    private static RequiredApp StoredScan(IReadOnlyList<Blueprint> blueprints) =>
        Assert.Single(Assert.Single(blueprints).Apps, a => string.Equals(a.PackageName, Scan, StringComparison.Ordinal));

    [SkippableFact]
    public async Task A_version_change_starts_a_rollout_and_applying_the_same_file_again_changes_nothing()
    {
        // Arrange
        var store = await NewStoreAsync();
        var site = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(100, "1.0.0"));
        var noRolloutYet = await store.Rollouts.ListRolloutsAsync(Tenant, Scan);

        // Act
        var changed = await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0"));
        var headAfterChange = await store.Feed.FeedHeadAsync(site);
        var again = await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0"));

        // Assert
        Assert.Empty(noRolloutYet);
        Assert.Equal((true, false), (changed, again));
        Assert.Equal(headAfterChange, await store.Feed.FeedHeadAsync(site));
        var rollout = Assert.Single(await store.Rollouts.ListRolloutsAsync(Tenant, Scan));
        Assert.Equal(("pickers", 100L, "1.0.0", 120L, "1.2.0", CanonicalHash.OfPlan(RolloutPlan.Default), Now, (DateTimeOffset?)null),
            (rollout.Group, rollout.FromVersionCode, rollout.FromVersionName, rollout.ToVersionCode, rollout.ToVersionName, CanonicalHash.OfPlan(rollout.Plan), rollout.StartedAt, rollout.SupersededAt));
        Assert.Equal(7, Guid.ParseExact(rollout.RolloutId, "N").Version);
        var app = StoredScan(await store.Blueprints.ListBlueprintsAsync(Tenant));
        Assert.Equal((rollout.RolloutId, 100L, "1.0.0", CanonicalHash.OfPlan(RolloutPlan.Default)),
            (app.Rollout!.Id, app.Rollout.FromVersionCode, app.Rollout.FromVersionName, CanonicalHash.OfPlan(app.Rollout.Plan)));
        var fed = (await store.Feed.ReadFeedAsync(site, Named, 10))[^1].BlueprintUpserted;
        var fedApp = StoredScan([JsonSerializer.Deserialize(fed.BlueprintJson, CloudJson.Default.Blueprint)!]);
        Assert.Equal((rollout.RolloutId, 100L, "1.0.0"), (fedApp.Rollout!.Id, fedApp.Rollout.FromVersionCode, fedApp.Rollout.FromVersionName));
    }

    [SkippableFact]
    public async Task An_app_new_to_the_group_starts_no_rollout_and_an_id_in_the_request_is_not_taken()
    {
        // Arrange
        var store = await NewStoreAsync();
        var forged = Pickers(100, "1.0.0") with
        {
            Apps = [new RequiredApp(Scan, 100, "1.0.0") { Rollout = new AppRollout(RolloutPlan.Default) { Id = "forged", FromVersionCode = 1 } }],
        };

        // Act
        await store.Blueprints.UpsertBlueprintAsync(Tenant, forged);

        // Assert
        Assert.Empty(await store.Rollouts.ListRolloutsAsync(Tenant, Scan));
        var app = StoredScan(await store.Blueprints.ListBlueprintsAsync(Tenant));
        Assert.Equal((null, null), (app.Rollout!.Id, app.Rollout.FromVersionCode));
    }

    [SkippableFact]
    public async Task A_newer_version_supersedes_the_current_rollout_and_rolls_from_the_version_it_replaces()
    {
        // Arrange
        var store = await NewStoreAsync();
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(100, "1.0.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0"));

        // Act
        Time.Advance(TimeSpan.FromHours(1));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(130, "1.3.0"));

        // Assert
        var rollouts = await store.Rollouts.ListRolloutsAsync(Tenant, Scan);
        Assert.Equal(
            [(100L, 120L, (DateTimeOffset?)Now.AddHours(1)), (120L, 130L, null)],
            rollouts.Select(r => (r.FromVersionCode, r.ToVersionCode, r.SupersededAt)));
        Assert.Equal(rollouts[1].RolloutId, StoredScan(await store.Blueprints.ListBlueprintsAsync(Tenant)).Rollout!.Id);
        // 120's rollout was still staged: devices waiting on 100 keep it rather than being rushed to 120.
        Assert.Equal([new AppVersion(100, "1.0.0")], StoredScan(await store.Blueprints.ListBlueprintsAsync(Tenant)).Rollout!.KeptVersions);
    }

    [SkippableFact]
    public async Task A_plan_only_change_keeps_the_rollout_id_and_is_fed_to_the_sites()
    {
        // Arrange
        var store = await NewStoreAsync();
        var site = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(100, "1.0.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0"));
        var started = Assert.Single(await store.Rollouts.ListRolloutsAsync(Tenant, Scan));
        var head = await store.Feed.FeedHeadAsync(site);
        var plan = new RolloutPlan([new PilotWave("pilots"), new PercentageWave(100)], new HaltPolicy(0.1m, 3), Window: null);

        // Act
        var changed = await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0", plan));
        var again = await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0", plan));

        // Assert
        Assert.Equal((true, false), (changed, again));
        var rollout = Assert.Single(await store.Rollouts.ListRolloutsAsync(Tenant, Scan));
        Assert.Equal((started.RolloutId, CanonicalHash.OfPlan(plan), (DateTimeOffset?)null), (rollout.RolloutId, CanonicalHash.OfPlan(rollout.Plan), rollout.SupersededAt));
        Assert.Equal(head + 1, await store.Feed.FeedHeadAsync(site));
        var fed = (await store.Feed.ReadFeedAsync(site, head, 10))[0].BlueprintUpserted;
        var fedApp = StoredScan([JsonSerializer.Deserialize(fed.BlueprintJson, CloudJson.Default.Blueprint)!]);
        Assert.Equal((started.RolloutId, 100L, CanonicalHash.OfPlan(plan)), (fedApp.Rollout!.Id, fedApp.Rollout.FromVersionCode, CanonicalHash.OfPlan(fedApp.Rollout.Plan)));
    }

    [SkippableFact]
    public async Task Removing_the_app_or_deleting_the_blueprint_ends_its_rollout()
    {
        // Arrange
        var store = await NewStoreAsync();
        var drivers = Blueprint.Empty("drivers") with { Apps = [new RequiredApp(Scan, 100, "1.0.0")] };
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(100, "1.0.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, drivers);
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, drivers with { Apps = [new RequiredApp(Scan, 120, "1.2.0")] });

        // Act
        Time.Advance(TimeSpan.FromMinutes(5));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Blueprint.Empty("pickers"));
        await store.Blueprints.DeleteBlueprintAsync(Tenant, "drivers");

        // Assert
        Assert.Equal(
            [("drivers", (DateTimeOffset?)Now.AddMinutes(5)), ("pickers", Now.AddMinutes(5))],
            (await store.Rollouts.ListRolloutsAsync(Tenant, Scan)).Select(r => (r.Group, r.SupersededAt)));
    }

    [SkippableFact]
    public async Task The_report_judges_each_device_from_what_its_site_reported_and_counts_exactly()
    {
        // Arrange: 100 → 120 with one wave and a halt at the first failure among two finished installs; the
        // catalog says 120 needs Android 13; a time limit of 30 days, so a day later the wave is still held
        var store = await NewStoreAsync();
        using var signer = ManifestSigner.CreateNew();
        await store.Packages.PublishPackageAsync(Tenant, signer.Sign(new PackageManifest(Sha('1'), Scan, 120, "1.2.0", 1000, "13", PublishedAt)), signer.KeyId);
        var a = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        var b = (await store.Sites.AddSiteAsync(Tenant, "Site B")).SiteId;
        var plan = new RolloutPlan([new PercentageWave(100)], new HaltPolicy(0.2m, 2), Window: null, WaveTimeLimit: TimeSpan.FromDays(30));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(100, "1.0.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0", plan));
        var now = Now.AddDays(1);
        await ReportAsync(store, a, [
            ("a-installed", "pickers", Status(120, "14"), now.AddMinutes(-1)),
            ("a-pending", "pickers", Status(100, "14"), now.AddMinutes(-2)),
            ("a-full", "pickers", Status(100, "14", failedOn: (120, InstallFailureReasons.StorageFull)), now.AddMinutes(-3)),
            ("a-other-group", "drivers", Status(100, "14"), now.AddMinutes(-1)),
        ]);
        await ReportAsync(store, b, [
            ("b-old-os", "pickers", Status(100, "12"), now.AddMinutes(-4)),
            ("b-offline", "pickers", Status(100, "14"), now.AddHours(-3)),
            ("b-failed-before", "pickers", Status(100, "14", failedOn: (110, InstallFailureReasons.DownloadFailed)), now.AddMinutes(-5)),
            ("b-never", "pickers", null, null),
        ]);

        // Act
        var views = await new RolloutReporter(store.Rollouts, store.Fleet, store.Packages).ReportAsync(Tenant, Scan, siteId: null, now, TimeSpan.FromHours(1), CancellationToken.None);
        var onlyB = Assert.Single(await new RolloutReporter(store.Rollouts, store.Fleet, store.Packages).ReportAsync(Tenant, Scan, b, now, TimeSpan.FromHours(1), CancellationToken.None));

        // Assert
        var view = Assert.Single(views);
        Assert.Equal(("pickers", 100L, 120L, "13"), (view.Group, view.FromVersionCode, view.ToVersionCode, view.MinOsVersion));
        Assert.Equal((7, 1, 2, 1, 1, 2), Counts(view.Total));
        Assert.Equal(1, view.Total.FailedByReason[InstallFailureReasons.StorageFull]);
        Assert.Equal(0, view.Total.FailedByReason[InstallFailureReasons.DownloadFailed]);
        Assert.Equal([a, b], view.Sites.Select(s => s.SiteId));
        Assert.Equal((3, 1, 1, 1, 0, 0), Counts(view.Sites[0].Counts));
        Assert.Equal((4, 0, 1, 0, 1, 2), Counts(view.Sites[1].Counts));
        Assert.Equal("wave 1: 1 of 2 finished installs failed (50 %), more than the 20 % threshold", view.Sites[0].Halted);
        Assert.Null(view.Sites[1].Halted);
        Assert.Equal(("100%", WaveStates.Open), (Assert.Single(view.Sites[1].Waves).Label, view.Sites[1].Waves[0].State));
        // Site B waits for the pending device; the silent ones (never seen since the start a day ago, silent 3 h) are stragglers.
        Assert.Equal("wave 1 (100%): waiting for 1 of 2 devices to settle (threshold 95 %), 2 stragglers not waited for, time limit in 29 d", view.Sites[1].Status);
        Assert.Equal((1, 2, 1, 0, 2), (view.Sites[1].Waiting!.Needed, view.Sites[1].Waiting!.Counted, view.Sites[1].Waiting!.Pending, view.Sites[1].Waiting!.Offline, view.Sites[1].Waiting!.Stragglers));
        Assert.Equal(
            [
                (b, "b-never", "SN-b-never", "offline", (string?)null),
                (b, "b-offline", "SN-b-offline", "offline", null),
                (a, "a-full", "SN-a-full", "failed", InstallFailureReasons.StorageFull),
            ],
            view.Stragglers.Select(s => (s.SiteId, s.DeviceId, s.Serial, s.State, s.Reason)));
        Assert.Equal(Counts(view.Sites[1].Counts), Counts(onlyB.Total));
        Assert.Equal([b], onlyB.Sites.Select(s => s.SiteId));
    }

    [SkippableFact]
    public async Task The_report_leaves_out_superseded_rollouts_and_other_tenants()
    {
        // Arrange
        var store = await NewStoreAsync();
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(100, "1.0.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(130, "1.3.0"));
        var reporter = new RolloutReporter(store.Rollouts, store.Fleet, store.Packages);

        // Act
        var mine = await reporter.ReportAsync(Tenant, Scan, siteId: null, Now, TimeSpan.FromHours(1), CancellationToken.None);
        var theirs = await reporter.ReportAsync(acme, Scan, siteId: null, Now, TimeSpan.FromHours(1), CancellationToken.None);

        // Assert
        Assert.Equal(130L, Assert.Single(mine).ToVersionCode);
        Assert.Empty(mine[0].Sites);
        Assert.Empty(theirs);
    }

    [SkippableFact]
    public async Task Current_rollouts_of_every_package_are_listed_by_package_then_group_and_carry_their_start()
    {
        // Arrange: scan moved twice in pickers (one superseded), once in packers; another tenant moves its own
        var store = await NewStoreAsync();
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;
        var packers = (long v) => Blueprint.Empty("packers") with { Apps = [new RequiredApp("com.acme.pack", v, v.ToString(System.Globalization.CultureInfo.InvariantCulture))] };
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(100, "1.0.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(120, "1.2.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Pickers(130, "1.3.0"));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, packers(1));
        await store.Blueprints.UpsertBlueprintAsync(Tenant, packers(2));
        await store.Blueprints.UpsertBlueprintAsync(acme, Pickers(100, "1.0.0"));
        await store.Blueprints.UpsertBlueprintAsync(acme, Pickers(140, "1.4.0"));

        // Act
        var mine = await store.Rollouts.ListCurrentRolloutsAsync(Tenant);
        var theirs = await store.Rollouts.ListCurrentRolloutsAsync(acme);

        // Assert
        Assert.Equal([("com.acme.pack", "packers", 2L), (Scan, "pickers", 130L)], mine.Select(r => (r.PackageName, r.Group, r.ToVersionCode)));
        Assert.All(mine, r => Assert.Null(r.SupersededAt));
        Assert.Equal(140L, Assert.Single(theirs).ToVersionCode);
        var fed = StoredScan([.. (await store.Blueprints.ListBlueprintsAsync(Tenant)).Where(b => string.Equals(b.Group, "pickers", StringComparison.Ordinal))]);
        Assert.Equal(mine[1].StartedAt, fed.Rollout!.StartedAt);
    }

    private static (int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline) Counts(RolloutCountsView c) =>
        (c.Devices, c.Installed, c.Pending, c.Failed, c.Incompatible, c.Offline);

    private static string Status(long installed, string osVersion, (long VersionCode, string Reason)? failedOn = null) =>
        JsonSerializer.Serialize(
            new DeviceStatus
            {
                Apps = [new InstalledApp { PackageName = Scan, VersionCode = installed, VersionName = "x" }, new InstalledApp { PackageName = "com.acme.other", VersionCode = 120 }],
                Os = new OsStatus { Version = osVersion },
                InstallFailures = failedOn is { } f
                    ? [new Contracts.Device.InstallFailure { PackageName = Scan, VersionCode = f.VersionCode, Reason = f.Reason, At = Now }]
                    : null,
            },
            DeviceProtocolJson.Default.DeviceStatus);

    /// <summary>Enrolls each device at the site (OS 13 at enrollment) and reports its status as the site's sync would.</summary>
    private static async Task ReportAsync(HubStores store, string siteId, IReadOnlyList<(string Device, string Group, string? StatusJson, DateTimeOffset? LastCheckIn)> devices)
    {
        var log = new List<SiteChange>();
        foreach (var (device, group, statusJson, lastCheckIn) in devices)
        {
            log.Add(Change((ulong)log.Count + 1, device, new SiteChange { Enrolled = new() { Serial = "SN-" + device, OsVersion = "13", Group = group } }));
            if (statusJson is not null)
            {
                var status = new StatusReported { StatusJson = statusJson, LastCheckinUnixMs = lastCheckIn!.Value.ToUnixTimeMilliseconds() };
                log.Add(Change((ulong)log.Count + 1, device, new SiteChange { Status = status }));
            }
        }

        await store.Upstream.ApplyUpstreamAsync(siteId, log, Now);
    }
}
