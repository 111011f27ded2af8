using System.Text;
using System.Text.Json;
using EdgeMdm.Cloud.Catalog;
using EdgeMdm.Domain.Blueprints;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.Cloud.Tests;

// Blueprints protected at rest (issue 27, secrets at rest): the stored blueprint and its feed rows, on every backend.
public abstract partial class HubStoreConformance
{
    private const string BlueprintSecret = "Blueprint-PSK-19e7c2aa";

    private static Blueprint PickersWithSecret() => Blueprint.Empty("pickers") with
    {
        Configurations = [new ConfigurationPayload("wifi-floor", new Dictionary<string, string>(StringComparer.Ordinal) { ["passphrase"] = BlueprintSecret })],
    };

    /// <summary>Whether any stored blueprint or feed row holds <see cref="BlueprintSecret"/> in clear.</summary>
    private static async Task<bool> SecretStoredInClearAsync(HubStores store)
    {
        var secret = Encoding.UTF8.GetBytes(BlueprintSecret);
        await using var s = await store.Database.BeginAsync(write: false, CancellationToken.None);
        var blueprints = await s.QueryAsync("SELECT blueprint_json FROM blueprints");
        var feed = await s.QueryAsync("SELECT change FROM feed");
        return blueprints.Any(r => r.Text(0).Contains(BlueprintSecret, StringComparison.Ordinal)) || feed.Any(r => r.Bytes(0).AsSpan().IndexOf(secret) >= 0);
    }

    [SkippableFact]
    public async Task A_blueprint_is_stored_and_fed_only_protected_and_read_back_in_clear()
    {
        // Arrange
        var store = await NewStoreAsync();
        await store.SigningKeys.EnsureSigningKeyAsync();
        var site = (await store.Sites.AddSiteAsync(Tenant, SiteName)).SiteId;

        // Act
        var changed = await store.Blueprints.UpsertBlueprintAsync(Tenant, PickersWithSecret());
        var again = await store.Blueprints.UpsertBlueprintAsync(Tenant, PickersWithSecret());
        var feed = await store.Feed.ReadFeedAsync(site, 0, 100);

        // Assert
        Assert.Equal((true, false), (changed, again));
        Assert.False(await SecretStoredInClearAsync(store));
        Assert.Equal(BlueprintSecret, Assert.Single(await store.Blueprints.ListBlueprintsAsync(Tenant)).Configurations.Single().Values["passphrase"]);
        var upserted = Assert.Single(feed, c => c.ChangeCase == HubChange.ChangeOneofCase.BlueprintUpserted);
        Assert.Contains(BlueprintSecret, upserted.BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
        Assert.True(Verifies(Anchor(feed), upserted));
    }

    [SkippableFact]
    public async Task A_blueprint_and_feed_rows_an_older_hub_stored_in_clear_are_read_then_protected_in_place_and_still_verify()
    {
        // Arrange: a blueprint row and a feed row as a hub from before the protection wrote them (the feed row signed
        // over its clear JSON, without a hash)
        var store = await NewStoreAsync();
        await store.SigningKeys.EnsureSigningKeyAsync();
        var site = (await store.Sites.AddSiteAsync(Tenant, SiteName)).SiteId;
        var json = JsonSerializer.Serialize(PickersWithSecret(), CloudJson.Default.Blueprint);
        await using (var s = await store.Database.BeginAsync(write: true, CancellationToken.None))
        {
            await s.ExecuteAsync("INSERT INTO blueprints (tenant_id, group_name, blueprint_json, token, updated_at) VALUES (?, 'pickers', ?, 'tok', 1)", Tenant, json);
            await s.CommitAsync();
        }

        await store.Feed.AppendToFeedAsync(site, new HubChange { BlueprintUpserted = new() { Group = "pickers", BlueprintJson = json } });
        var readClear = Assert.Single(await store.Blueprints.ListBlueprintsAsync(Tenant));
        var feedBefore = await store.Feed.ReadFeedAsync(site, 0, 100);

        // Act: what the hub's next start does, twice (replicas, or a restart)
        var first = await store.Services.GetRequiredService<BlueprintReprotection>().ReprotectAsync();
        var second = await store.Services.GetRequiredService<BlueprintReprotection>().ReprotectAsync();

        // Assert: read in clear before and after; stored protected after; the site gets the same bytes, which still verify
        Assert.Equal(((1, 1), (0, 0)), (first, second));
        Assert.Equal(BlueprintSecret, readClear.Configurations.Single().Values["passphrase"]);
        Assert.False(await SecretStoredInClearAsync(store));
        Assert.Equal(readClear.ContentHash(), Assert.Single(await store.Blueprints.ListBlueprintsAsync(Tenant)).ContentHash());
        var feedAfter = await store.Feed.ReadFeedAsync(site, 0, 100);
        Assert.Equal(feedBefore, feedAfter);
        var upserted = Assert.Single(feedAfter, c => c.ChangeCase == HubChange.ChangeOneofCase.BlueprintUpserted);
        Assert.Equal(("", json), (upserted.BlueprintUpserted.BlueprintSha256, upserted.BlueprintUpserted.BlueprintJson));
        Assert.All(feedAfter, change => Assert.True(Verifies(Anchor(feedAfter), change), change.ChangeCase.ToString()));
    }
}
