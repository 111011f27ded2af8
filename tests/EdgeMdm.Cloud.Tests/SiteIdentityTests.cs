using System.Net.Http.Headers;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// A site learns who it is from its feed: <c>SiteRenamed</c> first in a new site's feed, after every
/// <c>PATCH /api/v1/sites/{siteId}</c>, and once for sites registered before the hub fed names.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SiteIdentityTests
{
    [Fact]
    public async Task A_rename_answers_the_site_as_listed_and_reaches_the_site_through_its_pull()
    {
        // Arrange
        await using var hub = await RunningHub.StartAsync();
        var (site, sync) = await hub.AddSiteAsync("DC Leipzig");

        // Act
        var before = (await sync.PullAsync(0)).SelectMany(b => b.Changes).ToList();
        using var renamed = await PatchAsync(hub.Rest, site.SiteId, new { name = "  DC Leipzig North " });
        using var same = await PatchAsync(hub.Rest, site.SiteId, new { name = "DC Leipzig North" });
        var after = (await sync.PullAsync(before[^1].Position)).SelectMany(b => b.Changes).ToList();

        // Assert
        Assert.Equal((site.SiteId, "DC Leipzig"), (before[0].SiteRenamed.SiteId, before[0].SiteRenamed.Name));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (renamed.StatusCode, same.StatusCode));
        var view = (await renamed.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal((site.SiteId, "DC Leipzig North"), (view["siteId"]!.GetValue<string>(), view["name"]!.GetValue<string>()));
        Assert.Equal(before[^1].Position + 1, view["feedHead"]!.GetValue<ulong>());
        Assert.Equal("DC Leipzig North", (await same.Content.ReadFromJsonAsync<JsonNode>())!["name"]!.GetValue<string>());
        var fed = Assert.Single(after); // the same name again appends nothing
        Assert.Equal((site.SiteId, "DC Leipzig North"), (fed.SiteRenamed.SiteId, fed.SiteRenamed.Name));
    }

    [Fact]
    public async Task A_rename_is_refused_with_problems_like_the_other_site_endpoints()
    {
        // Arrange
        await using var hub = await RunningHub.StartAsync();
        var site = await hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");
        var globex = (await hub.Store.Tenants.AddTenantAsync("Globex")).TenantId;
        using var theirs = new HttpClient { BaseAddress = hub.Rest.BaseAddress };
        theirs.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await hub.Store.AdminTokens.CreateApiTokenAsync(globex, "globex"));
        using var anonymous = new HttpClient { BaseAddress = hub.Rest.BaseAddress };
        var head = await hub.Store.Feed.FeedHeadAsync(site.SiteId);

        // Act
        using var empty = await PatchAsync(hub.Rest, site.SiteId, new { name = "  " });
        using var tooLong = await PatchAsync(hub.Rest, site.SiteId, new { name = new string('a', 101) });
        using var punctuation = await PatchAsync(hub.Rest, site.SiteId, new { name = "--" });
        using var notJson = await hub.Rest.PatchAsync(new Uri($"/api/v1/sites/{site.SiteId}", UriKind.Relative), new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        using var unknown = await PatchAsync(hub.Rest, "no-such-site", new { name = "Nowhere" });
        using var otherTenant = await PatchAsync(theirs, site.SiteId, new { name = "Stolen" });
        using var unauthenticated = await PatchAsync(anonymous, site.SiteId, new { name = "Stolen" });

        // Assert
        Assert.All([empty, tooLong, punctuation, notJson], r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.Equal("is required", (await Errors(empty))["name"]![0]!.GetValue<string>());
        Assert.Equal("may be at most 100 characters", (await Errors(tooLong))["name"]![0]!.GetValue<string>());
        Assert.StartsWith("must hold a letter or digit", (await Errors(punctuation))["name"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (unknown.StatusCode, otherTenant.StatusCode));
        Assert.Equal("no site 'no-such-site'", (await unknown.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>());
        Assert.Equal($"no site '{site.SiteId}'", (await otherTenant.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal(head, await hub.Store.Feed.FeedHeadAsync(site.SiteId));
        Assert.Equal("DC Leipzig", Assert.Single(await hub.Store.Sites.ListSitesAsync(TenantIds.Default)).Name);
    }

    [Fact]
    public async Task A_hub_starting_on_a_database_from_before_names_were_fed_feeds_each_sites_name_once()
    {
        // Arrange: a site as a hub before migration 0006 registered it
        using var directory = new TempDirectory("edgemdm-legacy-");
        var database = Path.Combine(directory.Path, "cloud.db");
        await using (var db = await HubStorage.OpenDatabaseAsync(database))
        {
            await SchemaMigrator.MigrateAsync(db, default, throughVersion: 5);
            await using var s = await db.BeginAsync(write: true, default);
            await s.ExecuteAsync("INSERT INTO sites (site_id, name, credential_hash, created_at) VALUES ('lyon-dc', 'Lyon DC', ?, 1)", CanonicalHash.Sha256Hex("lyon-secret"));
            await s.CommitAsync();
        }

        // Act: the new hub starts on it, twice
        List<HubChange> feed;
        await (await RunningHub.StartAsync("--database", database)).DisposeAsync();
        await using (var hub = await RunningHub.StartAsync("--database", database))
            feed = (await hub.Sync("lyon-secret").PullAsync(0)).SelectMany(b => b.Changes).ToList();

        // Assert: the signing key (created at the first start), then the name; nothing more at the second start
        Assert.Equal([HubChange.ChangeOneofCase.SigningKey, HubChange.ChangeOneofCase.SiteRenamed], feed.Select(c => c.ChangeCase));
        Assert.Equal(("lyon-dc", "Lyon DC"), (feed[1].SiteRenamed.SiteId, feed[1].SiteRenamed.Name));
    }

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, string siteId, object body) =>
        client.PatchAsJsonAsync($"/api/v1/sites/{siteId}", body);

    private static async Task<JsonNode> Errors(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!;
}
