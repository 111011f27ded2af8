using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Tests;

// Blueprints (IBlueprintStore) and enrollment tokens (IEnrollmentTokenStore), on every backend.
public abstract partial class HubStoreConformance
{
    [SkippableFact]
    public async Task Blueprint_upsert_feeds_every_site_once_and_nothing_when_unchanged()
    {
        // Arrange
        var (store, a, b) = await StoreWithTwoSitesAsync();
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
        Assert.Equal((Named + 3, Named + 3, Named + 2), (await store.Feed.FeedHeadAsync(a), await store.Feed.FeedHeadAsync(b), await store.Feed.FeedHeadAsync(c)));
        var feed = await store.Feed.ReadFeedAsync(a, Named, 10);
        Assert.Equal(
            [HubChange.ChangeOneofCase.BlueprintUpserted, HubChange.ChangeOneofCase.BlueprintUpserted, HubChange.ChangeOneofCase.BlueprintDeleted],
            feed.Select(f => f.ChangeCase));
        Assert.Contains("\"batteryHealthFloorPercent\":80", feed[1].BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
        Assert.Contains("\"batteryHealthFloorPercent\":80", (await store.Feed.ReadFeedAsync(c, Named, 1))[0].BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
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
        var (store, a, b) = await StoreWithTwoSitesAsync();

        // Act
        var token = await store.EnrollmentTokens.IssueTokenAsync(Tenant, a, "pickers", 50, Now.AddDays(7));

        // Assert
        var issued = Assert.Single(await store.Feed.ReadFeedAsync(a, Named, 10)).TokenIssued;
        Assert.Equal((CanonicalHash.Sha256Hex(token), token[..8], "pickers", 50U), (issued.TokenHash, issued.TokenPrefix, issued.Group, issued.Uses));
        Assert.Equal(Now.AddDays(7).ToUnixTimeMilliseconds(), issued.ExpiresUnixMs);
        Assert.Empty(await store.Feed.ReadFeedAsync(b, Named, 10));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.EnrollmentTokens.IssueTokenAsync(Tenant, "no-such-site", "pickers", 1, Now));
    }
}
