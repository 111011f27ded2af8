using EdgeMdm.Cloud.Fleet;
using EdgeMdm.Cloud.Storage;
using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Tests;

// Sites and their credentials (ISiteRegistry), and what one site can see of another, on every backend.
public abstract partial class HubStoreConformance
{
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
}
