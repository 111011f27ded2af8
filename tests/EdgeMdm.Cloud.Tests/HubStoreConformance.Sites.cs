using EdgeMdm.Cloud.Fleet;
using Google.Protobuf;

namespace EdgeMdm.Cloud.Tests;

// Sites and their credentials (ISiteRegistry), and what one site can see of another, on every backend.
public abstract partial class HubStoreConformance
{
    [SkippableFact]
    public async Task A_sites_data_is_never_visible_through_another_sites_queries()
    {
        // Arrange
        var (store, a, b) = await StoreWithTwoSitesAsync();
        var command = await store.Commands.QueueCommandAsync(Tenant, a, "dev-0", "reboot", new Dictionary<string, string>(), null, "admin");

        // Act: A reports its devices; B reports a result for A's command
        await store.Upstream.ApplyUpstreamAsync(a, SiteLog(devices: 2), Now);
        await store.Upstream.ApplyUpstreamAsync(b, [Change(1, "dev-x", new SiteChange { CommandResult = new() { CommandId = command, Status = "failed" } })], Now);

        // Assert
        Assert.Empty(await store.Fleet.ListDevicesAsync(Tenant, b));
        Assert.Equal(2, (await store.Fleet.ListDevicesAsync(Tenant, a)).Count);
        Assert.Empty(await store.Fleet.ListTransitionsAsync(Tenant, b, "dev-0"));
        Assert.Empty(await store.Feed.ReadFeedAsync(b, Named, 100));
        Assert.Single(await store.Feed.ReadFeedAsync(a, Named, 100));
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

    [SkippableFact]
    public async Task A_new_sites_feed_starts_with_its_name_and_a_rename_appends_it_with_the_change()
    {
        // Arrange
        var store = await NewStoreAsync();
        var site = (await store.Sites.AddSiteAsync(Tenant, "DC Leipzig")).SiteId;
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;

        // Act
        var first = (await store.Feed.ReadFeedAsync(site, 0, 10))[0];
        var renamed = await store.Sites.RenameSiteAsync(Tenant, site, "DC Leipzig North");
        var again = await store.Sites.RenameSiteAsync(Tenant, site, "DC Leipzig North");
        var otherTenant = await Assert.ThrowsAsync<StoreConflictException>(() => store.Sites.RenameSiteAsync(acme, site, "Stolen"));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Sites.RenameSiteAsync(Tenant, "no-such-site", "Nowhere"));

        // Assert
        Assert.Equal((1UL, site, "DC Leipzig"), (first.Position, first.SiteRenamed.SiteId, first.SiteRenamed.Name));
        Assert.Equal((true, false), (renamed, again));
        Assert.Equal($"unknown site '{site}'", otherTenant.Message);
        var feed = await store.Feed.ReadFeedAsync(site, 0, 10);
        Assert.Equal([HubChange.ChangeOneofCase.SiteRenamed, HubChange.ChangeOneofCase.SiteRenamed], feed.Select(c => c.ChangeCase));
        Assert.Equal((site, "DC Leipzig North"), (feed[1].SiteRenamed.SiteId, feed[1].SiteRenamed.Name));
        var listed = Assert.Single(await store.Sites.ListSitesAsync(Tenant));
        Assert.Equal((site, "DC Leipzig North", 2UL), (listed.SiteId, listed.Name, listed.FeedHead));
    }

    [SkippableFact]
    public async Task Sites_registered_before_names_were_fed_get_theirs_once_at_the_end_of_their_feed()
    {
        // Arrange: two sites as a hub before migration 0006 registered them, one with a feed change already
        var connectionString = await NewDatabaseAsync();
        await using (var db = await HubStorage.OpenDatabaseAsync(connectionString))
        {
            await SchemaMigrator.MigrateAsync(db, default, throughVersion: 5);
            await using var s = await db.BeginAsync(write: true, default);
            foreach (var (id, name, head) in new[] { ("lyon-dc", "Lyon DC", 1), ("truck-7", "Truck 7", 0) })
            {
                await s.ExecuteAsync(
                    "INSERT INTO sites (site_id, name, credential_hash, feed_head, created_at) VALUES (?, ?, ?, ?, 1)", id, name, "hash-" + id, head);
            }

            await s.ExecuteAsync("INSERT INTO feed (site_id, position, at, change) VALUES ('lyon-dc', 1, 1, ?)", new HubChange { Position = 1 }.ToByteArray());
            await s.CommitAsync();
        }

        // Act: two replicas start together, then one restarts
        var replicas = new[] { await OpenAsync(connectionString), await OpenAsync(connectionString) };
        var fed = await Task.WhenAll(replicas.Select(r => Task.Run(() => r.Sites.FeedUnfedNamesAsync())));
        var restart = await replicas[0].Sites.FeedUnfedNamesAsync();

        // Assert
        Assert.Equal([0, 2], fed.Order());
        Assert.Equal(0, restart);
        var lyon = await replicas[1].Feed.ReadFeedAsync("lyon-dc", 0, 10);
        Assert.Equal([1UL, 2UL], lyon.Select(c => c.Position));
        Assert.Equal(("lyon-dc", "Lyon DC"), (lyon[1].SiteRenamed.SiteId, lyon[1].SiteRenamed.Name));
        var truck = Assert.Single(await replicas[1].Feed.ReadFeedAsync("truck-7", 0, 10));
        Assert.Equal((1UL, "truck-7", "Truck 7"), (truck.Position, truck.SiteRenamed.SiteId, truck.SiteRenamed.Name));
    }
}
